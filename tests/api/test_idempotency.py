"""Idempotency keys of creating mutations (app.api.idempotency): a retry with the same key
replays the first result and says so; the same key for other content is a typed conflict;
another user's same key is theirs; keys older than a day are removed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import IdempotencyKey
from app.accounts.service.idempotency import purge_expired_keys
from app.api.ids import decode
from app.db import utcnow
from app.messaging.models import Message, Thread
from tests.daybook.helpers import at, solsikken, yesterday
from tests.messaging.util import METTE, PERNILLE, demo, scoped, started


async def _send(client, as_: str, thread_id: str, body: str, key: str | None) -> dict[str, Any]:
    payload = await client.execute(
        "SendMessage", {"threadId": thread_id, "body": body, "idempotencyKey": key}, as_=as_
    )
    assert not payload.get("errors"), payload
    return payload


async def _messages(db, thread_id: str) -> int:
    return int(
        await db.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.thread_id == decode(thread_id, "Thread", field="x"))
        )
    )


async def _liva_thread(client) -> tuple[Any, dict[str, Any]]:
    d = await demo(client)
    (thread,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    return d, thread


async def test_a_retry_with_the_same_key_returns_the_first_message(client, runtime):
    d, thread = await _liva_thread(client)
    db = scoped(runtime, d.institution)
    before = await _messages(db, thread["id"])
    first = await _send(client, METTE, thread["id"], "Vi kommer kl. 8.", "retry-1")
    again = await _send(client, METTE, thread["id"], "Vi kommer kl. 8.", "retry-1")
    assert first["data"]["sendMessage"]["__typename"] == "Message"
    assert again["data"]["sendMessage"]["id"] == first["data"]["sendMessage"]["id"]
    assert first["extensions"]["idempotency"] == {
        "sendMessage": {"key": "retry-1", "replayed": False}
    }
    assert again["extensions"]["idempotency"] == {
        "sendMessage": {"key": "retry-1", "replayed": True}
    }
    assert await _messages(db, thread["id"]) == before + 1


async def test_the_same_key_for_other_content_is_a_typed_conflict(client, runtime):
    d, thread = await _liva_thread(client)
    db = scoped(runtime, d.institution)
    await _send(client, METTE, thread["id"], "Vi kommer kl. 8.", "retry-2")
    before = await _messages(db, thread["id"])
    other = (await _send(client, METTE, thread["id"], "Vi kommer kl. 9.", "retry-2"))["data"]
    assert other["sendMessage"] == {
        "__typename": "IdempotencyKeyReusedError",
        "code": "IDEMPOTENCY_KEY_REUSED",
        "field": "idempotencyKey",
        "message": other["sendMessage"]["message"],
    }
    assert await _messages(db, thread["id"]) == before


async def test_another_user_with_the_same_key_creates_their_own(client, runtime):
    d, thread = await _liva_thread(client)
    db = scoped(runtime, d.institution)
    before = await _messages(db, thread["id"])
    mine = await _send(client, PERNILLE, thread["id"], "Husk madpakke.", "shared-key")
    theirs = await _send(client, METTE, thread["id"], "Husk madpakke.", "shared-key")
    assert theirs["data"]["sendMessage"]["__typename"] == "Message"
    assert theirs["data"]["sendMessage"]["id"] != mine["data"]["sendMessage"]["id"]
    assert theirs["extensions"]["idempotency"]["sendMessage"]["replayed"] is False
    assert await _messages(db, thread["id"]) == before + 2


async def test_without_a_key_every_send_is_new_and_nothing_is_reported(client, runtime):
    d, thread = await _liva_thread(client)
    db = scoped(runtime, d.institution)
    before = await _messages(db, thread["id"])
    one = await _send(client, METTE, thread["id"], "Hej", None)
    await _send(client, METTE, thread["id"], "Hej", None)
    assert "idempotency" not in (one.get("extensions") or {})
    assert await _messages(db, thread["id"]) == before + 2


async def test_a_key_is_bounded(client):
    _, thread = await _liva_thread(client)
    for key in ("", "k" * 129):
        result = (await _send(client, METTE, thread["id"], "Hej", key))["data"]["sendMessage"]
        assert (result["code"], result["field"]) == ("INVALID", "idempotencyKey"), key
    ok = await _send(client, METTE, thread["id"], "Hej", "k" * 128)
    assert ok["data"]["sendMessage"]["__typename"] == "Message"


async def test_a_failed_attempt_keeps_no_key(client, runtime):
    """An attempt that changed nothing (a typed error) leaves the key free for the retry."""
    d, thread = await _liva_thread(client)
    refused = await _send(client, METTE, thread["id"], "   ", "blank-1")
    assert refused["data"]["sendMessage"]["code"] == "INVALID"
    db = scoped(runtime, d.institution)
    keys = await db.scalar(
        select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.key == "blank-1")
    )
    assert keys == 0
    retried = await _send(client, METTE, thread["id"], "Hej", "blank-1")
    assert retried["extensions"]["idempotency"]["sendMessage"]["replayed"] is False


async def test_start_thread_replays_its_threads_and_first_message(client, runtime):
    d = await demo(client)
    variables = {
        "input": {
            "institutionId": d.institution,
            "subject": "Tur",
            "body": "Husk madpakke.",
            "recipients": {"children": [d.child("Liva Holm-Jensen")]},
        },
        "idempotencyKey": "thread-1",
    }
    db = scoped(runtime, d.institution)
    threads_before = await db.scalar(select(func.count()).select_from(Thread))
    first = await client.execute("StartThread", variables, as_=PERNILLE)
    again = await client.execute("StartThread", variables, as_=PERNILLE)
    assert first["data"] == again["data"]
    assert first["data"]["startThread"]["firstMessage"]["id"]
    assert again["extensions"]["idempotency"]["startThread"]["replayed"] is True
    assert await db.scalar(select(func.count()).select_from(Thread)) == threads_before + 1


async def test_a_day_entry_written_in_bulk_replays_too(client):
    """The day log inserts its rows in bulk (not through the ORM's unit of work): the key
    still points at them."""
    ids = await solsikken(client)
    variables = {
        "input": {
            "childId": ids["liva"],
            "day": yesterday().isoformat(),
            "at": at(11, 30),
            "details": {"meal": {"meal": "LUNCH", "amount": "WELL"}},
        },
        "idempotencyKey": "lunch-1",
    }
    first = await client.execute("RecordDayEntry", variables, as_=PERNILLE)
    again = await client.execute("RecordDayEntry", variables, as_=PERNILLE)
    assert first["data"]["recordDayEntry"]["__typename"] == "DayEntry", first
    assert again["data"]["recordDayEntry"]["id"] == first["data"]["recordDayEntry"]["id"]
    assert again["extensions"]["idempotency"]["recordDayEntry"]["replayed"] is True
    day = await client.gql(
        "ChildDay", {"child": ids["liva"], "date": yesterday().isoformat()}, as_=PERNILLE
    )
    assert len(day["childDay"]["entries"]) == 1


async def test_keys_are_kept_a_day_then_removed(client, runtime):
    d, thread = await _liva_thread(client)
    await _send(client, METTE, thread["id"], "Hej", "old-key")
    await _send(client, METTE, thread["id"], "Hej igen", "young-key")
    db = scoped(runtime, d.institution)
    now = utcnow()
    kept = await purge_expired_keys(
        db=db,
        storage=runtime.storage,
        institution_id=None,  # type: ignore[arg-type]  (keys are no institution's)
        now=now,
    )
    assert kept == 0
    removed = await purge_expired_keys(
        db=db,
        storage=runtime.storage,
        institution_id=None,  # type: ignore[arg-type]
        now=now + timedelta(hours=24, minutes=1),
    )
    assert removed >= 2
    assert await db.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    # After removal, a late retry is a new attempt: the key is free again.
    late = await _send(client, METTE, thread["id"], "Hej", "old-key")
    assert late["extensions"]["idempotency"]["sendMessage"]["replayed"] is False
