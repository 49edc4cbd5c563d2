"""Legal holds as an admin uses them: place on a child or a thread with a reason, listed with
who and when, released by an admin (and listed as released); bad input is refused with a
reason in the caller's language and writes nothing."""

from __future__ import annotations

from typing import Any

from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import PERNILLE, demo, started

LIVA = "Liva Holm-Jensen"


async def place(client: Any, as_: str = SOLSIKKEN_ADMIN, **variables: Any) -> dict[str, Any]:
    data = await client.gql("PlaceLegalHold", variables, as_=as_)
    result: dict[str, Any] = data["placeLegalHold"]
    return result


async def listed(client: Any, institution: str, **variables: Any) -> list[dict[str, Any]]:
    data = await client.gql(
        "LegalHolds", {"institutionId": institution, **variables}, as_=SOLSIKKEN_ADMIN
    )
    rows: list[dict[str, Any]] = data["legalHolds"]
    return rows


async def test_an_admin_holds_a_child_and_a_thread_lists_and_releases(client):
    d = await demo(client)
    (thread,) = await started(client, PERNILLE, d.institution, {"children": [d.child(LIVA)]})
    child_hold = await place(client, childId=d.child(LIVA), reason="  Tilsynssag 2026-17 ")
    assert child_hold["__typename"] == "LegalHold", child_hold
    assert (child_hold["childId"], child_hold["threadId"]) == (d.child(LIVA), None)
    assert child_hold["holdReason"] == "Tilsynssag 2026-17"
    assert child_hold["placedByName"] and child_hold["inForce"] is True
    thread_hold = await place(client, threadId=thread["id"], reason="Klage over personale")
    assert thread_hold["threadId"] == thread["id"]

    holds = await listed(client, d.institution)
    assert [h["id"] for h in holds] == [thread_hold["id"], child_hold["id"]]

    released = await client.gql(
        "ReleaseLegalHold", {"legalHoldId": child_hold["id"]}, as_=SOLSIKKEN_ADMIN
    )
    released = released["releaseLegalHold"]
    assert released["inForce"] is False
    assert released["releasedAt"] and released["releasedByName"] == child_hold["placedByName"]
    assert [h["id"] for h in await listed(client, d.institution, inForceOnly=True)] == [
        thread_hold["id"]
    ]
    assert len(await listed(client, d.institution)) == 2  # the released one stays listed
    again = await client.gql(
        "ReleaseLegalHold", {"legalHoldId": child_hold["id"]}, as_=SOLSIKKEN_ADMIN
    )
    assert again["releaseLegalHold"]["reason"] == "LEGAL_HOLD_ALREADY_RELEASED"


async def test_bad_input_is_refused_with_a_reason_and_nothing_is_held(client):
    d = await demo(client)
    (thread,) = await started(client, PERNILLE, d.institution, {"children": [d.child(LIVA)]})
    both = await place(client, childId=d.child(LIVA), threadId=thread["id"], reason="x")
    assert (both["reason"], both["field"]) == ("LEGAL_HOLD_ONE_SUBJECT", "childId")
    assert (
        both["message"] == "Vælg enten et barn eller en tråd, der skal tilbageholdes (ikke begge)."
    )
    neither = await place(client, reason="x")
    assert neither["reason"] == "LEGAL_HOLD_ONE_SUBJECT"
    blank = await place(client, childId=d.child(LIVA), reason="   ")
    assert (blank["reason"], blank["field"]) == ("REQUIRED", "reason")
    long = await place(client, childId=d.child(LIVA), reason="x" * 1001)
    assert (long["reason"], long["field"]) == ("TOO_LONG", "reason")
    assert await listed(client, d.institution) == []


async def test_a_retry_with_the_same_key_holds_once(client):
    d = await demo(client)
    first = await place(client, childId=d.child(LIVA), reason="Sag", idempotencyKey="k-1")
    second = await place(client, childId=d.child(LIVA), reason="Sag", idempotencyKey="k-1")
    assert first["id"] == second["id"]
    assert len(await listed(client, d.institution)) == 1
