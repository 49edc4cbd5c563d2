"""Closed days: kept by the admin, seen by everyone of the institution."""

from __future__ import annotations

from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, institution_id


async def test_admin_closes_a_day_and_guardians_see_it(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    made = (
        await client.gql(
            "AddClosedDay",
            {"institutionId": iid, "day": "2099-12-24", "reason": "Juleaften"},
            as_=SOLSIKKEN_ADMIN,
        )
    )["addClosedDay"]
    assert made["__typename"] == "ClosedDay" and made["reason"] == "Juleaften"
    again = (
        await client.gql(
            "AddClosedDay", {"institutionId": iid, "day": "2099-12-24"}, as_=SOLSIKKEN_ADMIN
        )
    )["addClosedDay"]
    assert again["code"] == "CONFLICT" and again["field"] == "day"
    seen = (await client.gql("ClosedDays", {"institutionId": iid}, as_="mette@example.com"))["node"]
    assert seen["closedDays"] == [{"id": made["id"], "day": "2099-12-24", "reason": "Juleaften"}]
    past = (
        await client.gql(
            "ClosedDays", {"institutionId": iid, "since": "2100-01-01"}, as_=SOLSIKKEN_ADMIN
        )
    )["node"]
    assert past["closedDays"] == []
    removed = (
        await client.gql("RemoveClosedDay", {"closedDayId": made["id"]}, as_=SOLSIKKEN_ADMIN)
    )["removeClosedDay"]
    assert removed["__typename"] == "Done"


async def test_strangers_cannot_close_or_open_days(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    made = (
        await client.gql(
            "AddClosedDay", {"institutionId": iid, "day": "2099-06-05"}, as_=SOLSIKKEN_ADMIN
        )
    )["addClosedDay"]
    for stranger in (REGNBUEN_ADMIN, "pernille@solsikken.example", "mette@example.com"):
        add = (
            await client.gql(
                "AddClosedDay", {"institutionId": iid, "day": "2099-06-06"}, as_=stranger
            )
        )["addClosedDay"]
        assert add["code"] == "NOT_FOUND"
        remove = (await client.gql("RemoveClosedDay", {"closedDayId": made["id"]}, as_=stranger))[
            "removeClosedDay"
        ]
        assert remove["code"] == "NOT_FOUND"
    assert (await client.gql("ClosedDays", {"institutionId": iid}, as_=REGNBUEN_ADMIN))[
        "node"
    ] is None
    for token in (None, "revoked-or-made-up"):
        payload = await client.execute(
            "AddClosedDay", {"institutionId": iid, "day": "2099-06-06"}, token=token
        )
        assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
