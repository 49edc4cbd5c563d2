"""Live events of messaging: the use cases record a thread's activity in their transaction
(`record_thread_activity`, `record_personal`); after commit it is published, IDs only, and
subscribers re-read.

Channels: `inbox:<user id>` (a person's inbox changed: a new thread, a new message, read
elsewhere, ...) and `thread:<thread id>` (a thread's messages changed).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.messaging.events import MESSAGE_CHANGED, NEW_MESSAGE, NEW_THREAD, ThreadActivity
from app.messaging.service.audience import audience

log = logging.getLogger(__name__)

# Kinds that a thread's watchers (threadMessages) hear of, besides the inboxes.
WATCHED = (NEW_MESSAGE, MESSAGE_CHANGED, NEW_THREAD)


def inbox_channel(user_id: uuid.UUID) -> str:
    return f"inbox:{user_id}"


def thread_channel(thread_id: uuid.UUID) -> str:
    return f"thread:{thread_id}"


async def record_thread_activity(
    db: AsyncSession,
    kind: str,
    thread_ids: Sequence[uuid.UUID],
    message_ids: dict[uuid.UUID, uuid.UUID] | None = None,
    *,
    extra_users: Iterable[uuid.UUID] = (),
    reached: Mapping[uuid.UUID, set[uuid.UUID]] | None = None,
) -> None:
    """In the transaction: an inbox event for everyone the threads reach now (and
    `extra_users`), and a thread event for their watchers, published after commit.
    `reached`: whom they reach, when the caller read it already in this transaction."""
    if reached is None:
        reached = await audience(db, thread_ids)
    for thread_id in thread_ids:
        users = sorted(reached.get(thread_id, set()) | set(extra_users))
        await events.record(
            db,
            ThreadActivity(
                kind=kind,
                thread_id=thread_id,
                message_id=(message_ids or {}).get(thread_id),
                reached=tuple(users),
            ),
        )


async def record_personal(
    db: AsyncSession, kind: str, user_id: uuid.UUID, thread_id: uuid.UUID
) -> None:
    """In the transaction: an inbox event for one person only (read, muted, archived)."""
    await events.record(
        db, ThreadActivity(kind=kind, thread_id=thread_id, message_id=None, reached=(user_id,))
    )


def _payload(happened: ThreadActivity) -> dict[str, Any]:
    return {
        "kind": happened.kind,
        "thread_id": str(happened.thread_id),
        "message_id": str(happened.message_id) if happened.message_id else None,
    }


@events.after_commit(ThreadActivity)
async def publish_thread_activity(happened: ThreadActivity, outside: events.Outside) -> None:
    """After commit: best effort; a failing broker never undoes what was written."""
    payload = _payload(happened)
    channels = [inbox_channel(user_id) for user_id in happened.reached]
    if happened.kind in WATCHED:
        channels.append(thread_channel(happened.thread_id))
    for channel in channels:
        try:
            await outside.broker.publish(channel, payload)
        except Exception:  # pragma: no cover - logged, never raised to the writer
            log.exception("could not publish %s", channel)
