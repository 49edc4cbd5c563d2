"""Messages: sending, quoting, editing and deleting for 15 minutes, forwarding, bad input."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from app.db import utcnow
from app.messaging.models import Message, Thread
from tests.messaging.util import (
    JONAS,
    LARS,
    METTE,
    PERNILLE,
    demo,
    inbox,
    scoped,
    send,
    start,
    started,
    thread,
)


async def _liva_thread(client) -> tuple[object, dict]:
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    return d, t


async def _counts(db) -> tuple[int, int]:
    threads = await db.scalar(select(func.count()).select_from(Thread))
    messages = await db.scalar(select(func.count()).select_from(Message))
    return threads, messages


async def test_reply_quoting_another_message(client):
    _, t = await _liva_thread(client)
    first = (await thread(client, METTE, t["id"]))["lastMessage"]["id"]
    reply = await send(client, METTE, t["id"], "Selvfølgelig.", quotedMessageId=first)
    assert reply["quotedMessage"] == {"id": first, "body": "Husk gummistøvler i morgen."}
    assert reply["sender"]["role"] == "GUARDIAN" and reply["sender"]["isMe"] is True
    view = await thread(client, PERNILLE, t["id"])
    assert view["lastMessage"]["body"] == "Selvfølgelig."
    assert view["unreadCount"] == 1


async def test_bad_input_is_a_typed_error_and_writes_nothing(client, runtime):
    d, t = await _liva_thread(client)
    db = scoped(runtime, d.institution)
    before = await _counts(db)
    empty = await send(client, METTE, t["id"], "   ")
    assert (empty["code"], empty["field"]) == ("INVALID", "body")
    long = await send(client, METTE, t["id"], "x" * 10_001)
    assert long["code"] == "INVALID" and "10000" in long["message"] and "10001" in long["message"]
    assert (await send(client, METTE, t["id"], "x" * 10_000))["__typename"] == "Message"
    before = await _counts(db)
    for recipients, field in [
        (
            {"children": ["Q2hpbGQ6MDE5MmIwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw"]},
            "recipients.children",
        ),
        ({"groups": [d.regnbuen_groups["0.A"]]}, "recipients.groups"),
        ({"staff": [d.staff[LARS]]}, "recipients.staff"),
        ({"groups": ["nonsense"]}, "recipients.groups"),
    ]:
        result = await start(client, PERNILLE, d.institution, recipients)
        assert (result["code"], result["field"]) == ("NOT_FOUND", field), recipients
    nobody = await start(client, PERNILLE, d.institution, {})
    assert (nobody["code"], nobody["field"]) == ("INVALID", "recipients")
    foreign = await start(client, PERNILLE, d.regnbuen, {"groups": [d.regnbuen_groups["0.A"]]})
    assert foreign["code"] == "NOT_FOUND"
    no_subject = await start(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}, subject=" "
    )
    assert no_subject["field"] == "subject"
    # A thread of another institution, and a deleted thread.
    assert (await send(client, LARS, t["id"], "Hej"))["code"] == "NOT_FOUND"
    deleted = await client.gql("DeleteThread", {"threadId": t["id"]}, as_=PERNILLE)
    assert deleted["deleteThread"]["__typename"] == "MessagingDone"
    assert (await send(client, METTE, t["id"], "Hej"))["code"] == "NOT_FOUND"
    assert await thread(client, METTE, t["id"]) is None
    after = await _counts(db)
    assert after[0] == before[0] - 1


async def test_only_the_starter_or_an_admin_deletes_a_thread(client):
    _, t = await _liva_thread(client)
    refused = await client.gql("DeleteThread", {"threadId": t["id"]}, as_=METTE)
    assert refused["deleteThread"]["code"] == "NOT_FOUND"
    assert await thread(client, METTE, t["id"]) is not None


async def test_edit_and_delete_by_the_sender_for_fifteen_minutes(client, runtime):
    d, t = await _liva_thread(client)
    db = scoped(runtime, d.institution)
    message = await send(client, METTE, t["id"], "Vi kommer kl 8")
    assert message["canEdit"] is True
    edited = await client.gql(
        "EditMessage", {"messageId": message["id"], "body": "Vi kommer kl 9"}, as_=METTE
    )
    assert edited["editMessage"]["body"] == "Vi kommer kl 9"
    assert edited["editMessage"]["editedAt"] is not None
    # Nobody else may edit or delete it.
    for other in (PERNILLE, JONAS):
        refused = await client.gql(
            "EditMessage", {"messageId": message["id"], "body": "x"}, as_=other
        )
        assert refused["editMessage"]["code"] == "NOT_FOUND"
        refused = await client.gql("DeleteMessage", {"messageId": message["id"]}, as_=other)
        assert refused["deleteMessage"]["code"] == "NOT_FOUND"
    deleted = await client.gql("DeleteMessage", {"messageId": message["id"]}, as_=METTE)
    assert deleted["deleteMessage"]["isDeleted"] is True
    assert deleted["deleteMessage"]["body"] is None
    seen = await thread(client, PERNILLE, t["id"])
    shown = [e["node"] for e in seen["messages"]["edges"]]
    assert shown[0]["isDeleted"] is True and shown[0]["body"] is None
    # After 15 minutes the sender can no longer edit.
    late = await send(client, METTE, t["id"], "Gammel besked")
    async with db.begin():
        from app.api.ids import decode

        await db.execute(
            update(Message)
            .where(Message.id == decode(late["id"], "Message", field="x"))
            .values(created_at=utcnow() - timedelta(minutes=16))
        )
    too_late = await client.gql("EditMessage", {"messageId": late["id"], "body": "Ny"}, as_=METTE)
    assert too_late["editMessage"]["code"] == "INVALID"
    too_late = await client.gql("DeleteMessage", {"messageId": late["id"]}, as_=METTE)
    assert too_late["deleteMessage"]["code"] == "INVALID"


async def test_sensitive_threads_cannot_be_forwarded(client):
    d = await demo(client)
    (secret,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}, sensitive=True
    )
    (plain,) = await started(client, PERNILLE, d.institution, {"groupStaff": [d.groups["Myrerne"]]})
    message_id = (await thread(client, PERNILLE, secret["id"]))["lastMessage"]["id"]
    refused = await client.gql(
        "ForwardMessage", {"messageId": message_id, "threadId": plain["id"]}, as_=PERNILLE
    )
    assert refused["forwardMessage"]["code"] == "INVALID"
    (open_,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    ok_id = (await thread(client, PERNILLE, open_["id"]))["lastMessage"]["id"]
    forwarded = await client.gql(
        "ForwardMessage", {"messageId": ok_id, "threadId": plain["id"]}, as_=PERNILLE
    )
    assert forwarded["forwardMessage"]["body"] == "Husk gummistøvler i morgen."
    assert forwarded["forwardMessage"]["thread"]["id"] == plain["id"]


async def test_marking_a_thread_sensitive_drops_information_only_guardians(client):
    _, t = await _liva_thread(client)
    assert await thread(client, JONAS, t["id"]) is not None
    marked = await client.gql("MarkThreadSensitive", {"threadId": t["id"]}, as_=PERNILLE)
    assert marked["markThreadSensitive"]["sensitive"] is True
    assert await thread(client, JONAS, t["id"]) is None
    assert await thread(client, METTE, t["id"]) is not None
    refused = await client.gql("MarkThreadSensitive", {"threadId": t["id"]}, as_=METTE)
    assert refused["markThreadSensitive"]["code"] == "NOT_FOUND"


async def test_away_staff_answer_automatically_once(client):
    d = await demo(client)
    start_at = utcnow() - timedelta(hours=1)
    away = await client.gql(
        "SetAutoReply",
        {
            "institutionId": d.institution,
            "body": "Jeg er på ferie til mandag.",
            "startsAt": start_at.isoformat(),
            "endsAt": (utcnow() + timedelta(days=3)).isoformat(),
        },
        as_=PERNILLE,
    )
    assert away["setAutoReply"]["__typename"] == "AutoReplyInfo"

    (t,) = await started(client, METTE, d.institution, {"staff": [d.staff[PERNILLE]]})
    view = await thread(client, METTE, t["id"])
    bodies = [e["node"]["body"] for e in view["messages"]["edges"]]
    assert bodies[0] == "Jeg er på ferie til mandag."
    assert view["messages"]["edges"][0]["node"]["isAutoReply"] is True
    await send(client, METTE, t["id"], "Ok")
    view = await thread(client, METTE, t["id"])
    assert [e["node"]["isAutoReply"] for e in view["messages"]["edges"]].count(True) == 1
    cleared = await client.gql(
        "SetAutoReply", {"institutionId": d.institution, "body": ""}, as_=PERNILLE
    )
    assert cleared["setAutoReply"]["__typename"] == "MessagingDone"
    guardian = await client.gql(
        "SetAutoReply", {"institutionId": d.institution, "body": "x"}, as_=METTE
    )
    assert guardian["setAutoReply"]["code"] == "NOT_FOUND"
    assert t["id"] in [x["id"] for x in await inbox(client, METTE)]
