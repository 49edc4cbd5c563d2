"""The inbox and the thread page cost at most three statements for their fields (besides
signing in), whatever the page size and however many take part, and load no ORM entity of
messaging: their read models select columns and aggregate in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from app.messaging.models import Message, Participant, Thread, ThreadState
from tests.client import GraphQLClient
from tests.messaging.util import METTE, PERNILLE, demo, send, started

FIELD_STATEMENTS = 3
SIGN_IN_PROBE = "query SignInProbe { unreadMessages }"  # signing in + one statement


async def _sign_in_statements(client: GraphQLClient, as_: str, assert_max_queries: Any) -> int:
    await client.token_for(as_)  # logging in is not part of a request
    with assert_max_queries(50) as probe:
        await client.execute("SignInProbe", query=SIGN_IN_PROBE, as_=as_)
    return probe.count - 1


@contextmanager
def _entities_loaded() -> Iterator[list[object]]:
    """Instances of messaging's mapped classes the ORM builds from rows meanwhile."""
    loaded: list[object] = []

    def record(target: object, _context: Any) -> None:
        loaded.append(target)

    classes = (Message, Participant, Thread, ThreadState)
    for cls in classes:
        event.listen(cls, "load", record)
    try:
        yield loaded
    finally:
        for cls in classes:
            event.remove(cls, "load", record)


async def _field_statements(
    client: GraphQLClient, assert_max_queries: Any, as_: str, operation: str, **variables: Any
) -> tuple[int, dict[str, Any]]:
    sign_in = await _sign_in_statements(client, as_, assert_max_queries)
    with _entities_loaded() as loaded, assert_max_queries(sign_in + FIELD_STATEMENTS) as counted:
        data = await client.gql(operation, variables, as_=as_)
    assert loaded == [], f"{operation} loaded {len(loaded)} ORM entities"
    return counted.count - sign_in, data


async def test_inbox_and_thread_page_cost_three_statements_whatever_the_size(
    client, assert_max_queries
):
    """first: 5 and 30 for the inbox (50 is over its query cost limit), 5 and 50 for a page."""
    d = await demo(client)
    bjornene = d.groups["Bjørnene"]
    # Threads with few and with many participants (every guardian of the institution).
    for n in range(6):
        await started(client, PERNILLE, d.institution, {"groups": [bjornene]}, subject=f"B{n}")
        await started(client, PERNILLE, d.institution, {"allGuardians": True}, subject=f"A{n}")
    (family,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    for n in range(8):
        await send(client, PERNILLE if n % 2 else METTE, family["id"], f"Besked {n}")

    for reader in (METTE, PERNILLE):
        small, five = await _field_statements(client, assert_max_queries, reader, "Inbox", first=5)
        large, fifty = await _field_statements(
            client, assert_max_queries, reader, "Inbox", first=30
        )
        assert len(five["inbox"]["edges"]) == 5 and len(fifty["inbox"]["edges"]) >= 13
        assert small == large <= FIELD_STATEMENTS

        short, _ = await _field_statements(
            client, assert_max_queries, reader, "ThreadMessagesPage", id=family["id"], first=5
        )
        long, page = await _field_statements(
            client, assert_max_queries, reader, "ThreadMessagesPage", id=family["id"], first=50
        )
        assert len(page["node"]["messages"]["edges"]) == 9
        assert short == long <= FIELD_STATEMENTS


async def test_a_broadcast_to_everyone_is_summarised_without_loading_its_participants(
    client, assert_max_queries
):
    d = await demo(client)
    await started(client, PERNILLE, d.institution, {"allGuardians": True}, replyToAll=True)
    (row,) = [
        e["node"]
        for e in (await _field_statements(client, assert_max_queries, METTE, "Inbox", first=5))[1][
            "inbox"
        ]["edges"]
        if e["node"]["isBroadcast"]
    ]
    # Pernille, then two other guardians, then how many more.
    names, more = row["participantsSummary"].rsplit(" +", 1)
    assert names.startswith("Pernille Holm, ") and len(names.split(", ")) == 3
    assert int(more) > 10
