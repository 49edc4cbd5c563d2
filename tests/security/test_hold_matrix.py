"""The security matrix of legal holds: only the institution's admins list, place and
release them. Another institution's admin and staff, Solsikken's own staff, a guardian (of
the child itself), Solsikken's kiosk and tablet: NOT_FOUND or null, as if nothing existed,
and nothing changes; no session, a revoked one and a made-up token are UNAUTHENTICATED."""

from __future__ import annotations

from typing import Any

from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import METTE, PERNILLE, demo, started
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    device_tokens,
    not_found,
    null,
)

LIVA = "Liva Holm-Jensen"


async def _set_up(client: Any) -> dict[str, Any]:
    d = await demo(client)
    (thread,) = await started(client, PERNILLE, d.institution, {"children": [d.child(LIVA)]})
    placed = await client.gql(
        "PlaceLegalHold", {"childId": d.child(LIVA), "reason": "Sag"}, as_=SOLSIKKEN_ADMIN
    )
    return {
        "institution": d.institution,
        "liva": d.child(LIVA),
        "thread": thread["id"],
        "hold": placed["placeLegalHold"]["id"],
    }


def _cases(s: dict[str, Any]) -> list[Case]:
    return [
        Case("LegalHolds", {"institutionId": s["institution"]}, null("legalHolds")),
        Case("PlaceLegalHold", {"childId": s["liva"], "reason": "x"}, not_found("placeLegalHold")),
        Case(
            "PlaceLegalHold", {"threadId": s["thread"], "reason": "x"}, not_found("placeLegalHold")
        ),
        Case("ReleaseLegalHold", {"legalHoldId": s["hold"]}, not_found("releaseLegalHold")),
    ]


async def _unchanged(client: Any, s: dict[str, Any]) -> None:
    holds = await client.gql("LegalHolds", {"institutionId": s["institution"]}, as_=SOLSIKKEN_ADMIN)
    assert [(h["id"], h["inForce"]) for h in holds["legalHolds"]] == [(s["hold"], True)]


async def test_only_the_institutions_admins_touch_holds(client):
    s = await _set_up(client)
    tokens = await device_tokens(client, s["institution"])
    await assert_refused(client, _cases(s), [*STRANGERS, PERNILLE, METTE], tokens=tokens)
    await _unchanged(client, s)


async def test_without_a_live_session_everything_is_unauthenticated(client):
    s = await _set_up(client)
    await assert_unauthenticated(client, _cases(s), await dead_sessions(client))
    await _unchanged(client, s)
