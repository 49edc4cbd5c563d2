"""Sending to many costs what sending to a few does, and a write's answer reads nothing.

startThread, sendMessage and forwardMessage run a bounded number of statements per request,
signing in and the answer included, whatever the number of recipients: a small group, the
whole institution and several families (one thread each, all written at once) cost the same.
Participants, read pointers, bases and outbox rows are multi-row INSERTs (on PostgreSQL every
table of a new thread in one statement of data-modifying CTEs); whom a message reaches, how
they want to hear of it and whose away replies are due is one statement; the answer comes
from what the write holds, so no transaction (and no tenant scope) follows the commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.db import utcnow
from tests.client import GraphQLClient
from tests.conftest import is_postgres
from tests.messaging.util import KARSTEN, METTE, PERNILLE, demo, send, started

# Whole requests. PostgreSQL: signing in (1); the recipients (the groups addressed, their
# guardians; or the children addressed with theirs); the institution; the threads, messages,
# participants, read pointers, bases and children (1); whom they reach with their preferences,
# digests and away replies (1); the outbox (1); the threads and participants as the answer
# shows them (2). SQLite signs in with 3 statements and writes a table a statement.
START_STATEMENTS = 9 if is_postgres() else 15
# PostgreSQL: signing in; the thread with one's reach, its institution and group (and a
# guardian's own reply thread); the message, the thread's latest and the read pointers (1);
# whom it reaches, preferences, digests, away replies (1); the outbox (1). SQLite: 3 to sign
# in, the message, the thread's latest and the read pointers apart.
SEND_STATEMENTS = 5 if is_postgres() else 9
# A guardian's first reply to a broadcast also reads the broadcast's staff side, and writes
# its own thread with the message at once (SQLite: a table a statement).
FIRST_REPLY_STATEMENTS = 6 if is_postgres() else 11
FORWARD_STATEMENTS = SEND_STATEMENTS + 1  # the message forwarded, with its thread
REQUEST_LIMIT = 10  # issue 11: at most 10 statements a request, signing in included


def _no_second_transaction(counter: Any) -> None:
    """After the mutation's commit nothing is read: no new transaction is scoped."""
    if is_postgres():
        scoped = [s for s in counter.statements if "set_config" in s]
        assert scoped == [], "the answer opened a transaction of its own"


async def _signed_in(client: GraphQLClient, *people: str) -> None:
    for person in people:
        await client.token_for(person)  # logging in is not part of a request


async def test_starting_for_a_group_the_institution_or_several_families_costs_the_same(
    client, assert_max_queries
):
    d = await demo(client)
    await _signed_in(client, PERNILLE)
    families = [c["id"] for c in d.bjornene_children() if c["guardians"]]
    assert len(families) >= 4
    with assert_max_queries(START_STATEMENTS) as one_group:
        (group,) = await started(
            client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]}
        )
    # Every guardian of Solsikken (about three times as many).
    with assert_max_queries(one_group.count) as everyone:
        (every,) = await started(client, PERNILLE, d.institution, {"allGuardians": True})
    assert len(every["participants"]) > 2 * len(group["participants"])
    with assert_max_queries(one_group.count) as two_families:
        two = await started(client, PERNILLE, d.institution, {"children": families[:2]})
    with assert_max_queries(two_families.count) as four_families:
        four = await started(client, PERNILLE, d.institution, {"children": families[:4]})
    assert (len(two), len(four)) == (2, 4)
    assert all(t["children"] and t["lastMessage"]["sender"]["isMe"] for t in four)
    for counter in (one_group, everyone, two_families, four_families):
        _no_second_transaction(counter)
    if is_postgres():
        assert one_group.count <= REQUEST_LIMIT


async def test_sending_and_forwarding_cost_the_same_to_few_or_many(client, assert_max_queries):
    d = await demo(client)
    await _signed_in(client, PERNILLE, METTE)
    (group,) = await started(client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]})
    (every,) = await started(client, PERNILLE, d.institution, {"allGuardians": True})
    with assert_max_queries(SEND_STATEMENTS) as to_group:
        sent = await send(client, PERNILLE, group["id"], "Husk madpakke")
    assert sent["__typename"] == "Message" and sent["thread"]["id"] == group["id"]
    with assert_max_queries(to_group.count) as to_everyone:
        assert (await send(client, PERNILLE, every["id"], "Husk madpakke"))[
            "__typename"
        ] == "Message"
    # A guardian's replies to a broadcast: the first starts their own thread with its staff.
    with assert_max_queries(FIRST_REPLY_STATEMENTS) as first_reply:
        reply = await send(client, METTE, group["id"], "Tak!")
    assert reply["__typename"] == "Message" and reply["thread"]["id"] != group["id"]
    with assert_max_queries(SEND_STATEMENTS) as next_reply:
        again = await send(client, METTE, group["id"], "Tak igen")
    assert again["thread"]["id"] == reply["thread"]["id"]
    with assert_max_queries(FORWARD_STATEMENTS) as forwarded:
        data = await client.gql(
            "ForwardMessage", {"messageId": sent["id"], "threadId": every["id"]}, as_=PERNILLE
        )
    assert data["forwardMessage"]["body"] == "Husk madpakke"
    for counter in (to_group, to_everyone, first_reply, next_reply, forwarded):
        _no_second_transaction(counter)
    if is_postgres():
        assert max(FIRST_REPLY_STATEMENTS, FORWARD_STATEMENTS) <= REQUEST_LIMIT


async def test_a_writes_answer_is_what_reading_it_back_gives(client):
    """The answer made from what the write holds equals the one a retry reads back through
    the loaders (an idempotent replay): threads of several families, each with its children,
    participants and an away reply as its latest message; a reply quoting a message."""
    d = await demo(client)
    away = await client.gql(
        "SetAutoReply",
        {
            "institutionId": d.institution,
            "body": "Jeg er på ferie.",
            "startsAt": (utcnow() - timedelta(hours=1)).isoformat(),
            "endsAt": (utcnow() + timedelta(days=1)).isoformat(),
        },
        as_=KARSTEN,
    )
    assert away["setAutoReply"]["__typename"] == "AutoReplyInfo"
    families = [c["id"] for c in d.bjornene_children() if c["guardians"]][:3]
    variables = {
        "input": {
            "institutionId": d.institution,
            "subject": "Forældresamtaler",
            "body": "Vælg en tid.",
            "recipients": {"children": families, "staff": [d.staff[KARSTEN]]},
        },
        "idempotencyKey": "families-1",
    }
    first = await client.execute("StartThread", variables, as_=PERNILLE)
    again = await client.execute("StartThread", variables, as_=PERNILLE)
    assert again["extensions"]["idempotency"]["startThread"]["replayed"] is True
    assert first["data"] == again["data"]
    threads = first["data"]["startThread"]["threads"]
    assert len(threads) == 3
    for started_thread in threads:
        assert started_thread["children"] and started_thread["unreadCount"] == 1
        assert started_thread["lastMessage"]["isAutoReply"] is True
    message = {"threadId": threads[0]["id"], "body": "Jeg tager tirsdag."}
    quoting = {
        **message,
        "quotedMessageId": threads[0]["lastMessage"]["id"],
        "idempotencyKey": "q-1",
    }
    first = await client.execute("SendMessage", quoting, as_=PERNILLE)
    again = await client.execute("SendMessage", quoting, as_=PERNILLE)
    assert again["extensions"]["idempotency"]["sendMessage"]["replayed"] is True
    assert first["data"] == again["data"]
    assert first["data"]["sendMessage"]["quotedMessage"]["body"] == "Jeg er på ferie."


async def test_a_start_too_large_for_one_statement_is_written_in_chunks(client, monkeypatch):
    """Past the bind parameters one statement may carry, each table is written in chunks
    (as on SQLite always): the same threads and participants."""
    from app.messaging.service import bulk

    d = await demo(client)
    (whole,) = await started(client, PERNILLE, d.institution, {"allGuardians": True})
    monkeypatch.setattr(bulk, "MAX_PARAMETERS", 40)
    (chunked,) = await started(client, PERNILLE, d.institution, {"allGuardians": True})
    names = sorted(p["name"] for p in whole["participants"])
    assert sorted(p["name"] for p in chunked["participants"]) == names
    assert chunked["participantsSummary"] == whole["participantsSummary"]
