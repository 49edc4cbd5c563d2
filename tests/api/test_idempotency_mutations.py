"""The one mechanism on the other creating mutations: each replays its first result for a
retry with the same key (absences, pickup persons, announcements, group entries of the day
log, forwards), and what a key costs in SQL statements."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.daybook.helpers import at, solsikken, yesterday
from tests.helpers import SOLSIKKEN_ADMIN, child_id, group_id, institution_id
from tests.messaging.util import METTE, PERNILLE, demo, started


async def _twice(client, operation: str, variables: dict[str, Any], as_: str) -> tuple[Any, Any]:
    first = await client.execute(operation, variables, as_=as_)
    again = await client.execute(operation, variables, as_=as_)
    assert not first.get("errors") and not again.get("errors"), (first, again)
    field = next(iter(first["data"]))
    assert first["extensions"]["idempotency"][field]["replayed"] is False
    assert again["extensions"]["idempotency"][field]["replayed"] is True
    return first["data"][field], again["data"][field]


async def test_an_absence_retried_is_the_same_absence_not_an_overlap(client):
    """Without a key, the retry of a registered absence is refused as overlapping: the app
    cannot tell its first attempt arrived. With the key it gets that absence back."""
    liva = await child_id(client, SOLSIKKEN_ADMIN, "Liva Holm-Jensen")
    variables = {
        "childId": liva,
        "kind": "SICK",
        "fromDay": date.today().isoformat(),
        "note": "Feber",
        "idempotencyKey": "sick-1",
    }
    first, again = await _twice(client, "RegisterAbsence", variables, METTE)
    assert first["__typename"] == "Absence" and again == first
    unkeyed = await client.gql("RegisterAbsence", {**variables, "idempotencyKey": None}, as_=METTE)
    assert unkeyed["registerAbsence"]["code"] == "CONFLICT"


async def test_a_pickup_person_retried_is_added_once(client):
    liva = await child_id(client, SOLSIKKEN_ADMIN, "Liva Holm-Jensen")
    variables = {
        "childId": liva,
        "input": {"name": "Mormor Inge", "relation": "mormor"},
        "idempotencyKey": "inge",
    }
    first, again = await _twice(client, "AddPickupPerson", variables, METTE)
    assert first["__typename"] == "PickupPerson" and again == first


async def test_an_announcement_retried_is_posted_once(client):
    variables = {
        "input": {
            "institutionId": await institution_id(client, SOLSIKKEN_ADMIN),
            "groupId": await group_id(client, SOLSIKKEN_ADMIN, "Bjørnene"),
            "title": "Tur i skoven",
            "body": "Husk regntøj.",
        },
        "idempotencyKey": "post-1",
    }
    first, again = await _twice(client, "PostAnnouncement", variables, PERNILLE)
    assert first["__typename"] == "Announcement" and again["id"] == first["id"]
    listed = await client.gql("Announcements", {"first": 20}, as_=METTE)
    titles = [e["node"]["id"] for e in listed["announcements"]["edges"]]
    assert titles.count(first["id"]) == 1


async def test_group_entries_retried_are_written_once(client):
    ids = await solsikken(client)
    variables = {
        "input": {
            "groupId": ids["group"],
            "day": yesterday().isoformat(),
            "at": at(11, 30),
            "details": {"meal": {"meal": "LUNCH", "amount": "WELL"}},
        },
        "idempotencyKey": "lunch-for-all",
    }
    first, again = await _twice(client, "RecordGroupEntries", variables, PERNILLE)
    assert first["entries"] and [e["id"] for e in again["entries"]] == [
        e["id"] for e in first["entries"]
    ]
    day = await client.gql(
        "ChildDay", {"child": ids["liva"], "date": yesterday().isoformat()}, as_=PERNILLE
    )
    assert len(day["childDay"]["entries"]) == 1


async def test_a_forward_retried_is_one_copy(client):
    d = await demo(client)
    (source,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    (target,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}, subject="B"
    )
    thread = await client.gql("Thread", {"id": source["id"], "first": 5}, as_=PERNILLE)
    message = thread["node"]["lastMessage"]["id"]
    variables = {"messageId": message, "threadId": target["id"], "idempotencyKey": "fwd-1"}
    first, again = await _twice(client, "ForwardMessage", variables, PERNILLE)
    assert first["__typename"] == "Message" and again["id"] == first["id"]


async def test_what_a_key_costs_in_statements(client, assert_max_queries):
    """A key adds one read before the effect and one insert in its transaction (and, on
    PostgreSQL, the tenant setting of the read's own transaction); a replay runs none of the
    use case: the read, and the rows it answers with."""
    d = await demo(client)
    (thread,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    await client.token_for(METTE)

    async def send(key: str | None, body: str) -> dict[str, Any]:
        variables = {"threadId": thread["id"], "body": body, "idempotencyKey": key}
        payload: dict[str, Any] = await client.execute("SendMessage", variables, as_=METTE)
        return payload

    with assert_max_queries(60) as plain:
        await send(None, "Uden nøgle")
    with assert_max_queries(plain.count + 3) as keyed:
        await send("cost-1", "Med nøgle")
    with assert_max_queries(plain.count) as replay:
        assert (await send("cost-1", "Med nøgle"))["extensions"]["idempotency"]["sendMessage"][
            "replayed"
        ]
    print(
        f"\nsendMessage statements: {plain.count} without a key, {keyed.count} with one,"
        f" {replay.count} for a replay"
    )
    assert replay.count < plain.count
