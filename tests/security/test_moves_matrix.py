"""The security matrix of the yearly move-up and leaving: only the institution's admins
propose, plan, list and undo moves (moveChild's rule). Another institution's admin and staff,
its own staff and a guardian are answered as if the institution did not exist, and nothing
changes; no live session, no answer."""

from __future__ import annotations

from datetime import date, timedelta

from tests.helpers import SOLSIKKEN_ADMIN, child_id, group_id, institution_id
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    empty,
    error,
    not_found,
)

PERNILLE = "pernille@solsikken.example"  # staff, not admin
METTE = "mette@example.com"  # a guardian
ON = (date.today() + timedelta(days=30)).isoformat()


async def _ids(client) -> dict[str, str]:
    return {
        "institution": await institution_id(client, SOLSIKKEN_ADMIN),
        "bjornene": await group_id(client, SOLSIKKEN_ADMIN, "Bjørnene"),
        "myrerne": await group_id(client, SOLSIKKEN_ADMIN, "Myrerne"),
        "liva": await child_id(client, SOLSIKKEN_ADMIN, "Liva Holm-Jensen"),
    }


async def _plans(client, iid: str) -> list[dict]:
    data = await client.gql("PlannedGroupMoves", {"institutionId": iid}, as_=SOLSIKKEN_ADMIN)
    rows: list[dict] = data["plannedGroupMoves"]
    return rows


def _cases(ids: dict[str, str], move_id: str) -> list[Case]:
    return [
        Case(
            "PlanGroupMoves",
            {
                "institutionId": ids["institution"],
                "effectiveOn": ON,
                "moves": [{"childId": ids["liva"], "toGroupId": ids["myrerne"]}],
            },
            not_found("planGroupMoves"),
        ),
        Case(
            "CancelGroupMoves",
            {"institutionId": ids["institution"], "moveIds": [move_id]},
            not_found("cancelGroupMoves"),
        ),
        Case(
            "PlannedGroupMoves", {"institutionId": ids["institution"]}, empty("plannedGroupMoves")
        ),
        Case(
            "ProposeGroupMoves",
            {
                "fromGroupId": ids["bjornene"],
                "toGroupId": ids["myrerne"],
                "effectiveOn": ON,
                "bornBefore": "2099-01-01",
            },
            error("NOT_FOUND"),
        ),
    ]


async def test_only_the_institutions_admins_plan_and_undo_moves(client):
    ids = await _ids(client)
    planned = await client.gql(
        "PlanGroupMoves",
        {
            "institutionId": ids["institution"],
            "effectiveOn": ON,
            "moves": [{"childId": ids["liva"]}],
        },
        as_=SOLSIKKEN_ADMIN,
    )
    (move,) = planned["planGroupMoves"]["moves"]
    before = await _plans(client, ids["institution"])
    await assert_refused(client, _cases(ids, move["id"]), [*STRANGERS, PERNILLE, METTE])
    assert await _plans(client, ids["institution"]) == before


async def test_moves_need_a_live_session(client):
    ids = await _ids(client)
    await assert_unauthenticated(
        client, _cases(ids, "00000000-0000-0000-0000-000000000000"), await dead_sessions(client)
    )
