"""Live events of messaging: IDs only, published after commit; subscribers re-read.

Channels: `inbox:<user id>` (a person's inbox changed: a new thread, a new message, read
elsewhere, ...) and `thread:<thread id>` (a thread's messages changed).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.service.audience import audience
from app.realtime import Broker

log = logging.getLogger(__name__)

NEW_THREAD = "NEW_THREAD"
NEW_MESSAGE = "NEW_MESSAGE"
MESSAGE_CHANGED = "MESSAGE_CHANGED"
READ = "READ"
THREAD_CHANGED = "THREAD_CHANGED"


@dataclass(frozen=True)
class Event:
    channel: str
    payload: dict[str, Any]


def inbox_channel(user_id: uuid.UUID) -> str:
    return f"inbox:{user_id}"


def thread_channel(thread_id: uuid.UUID) -> str:
    return f"thread:{thread_id}"


def _payload(kind: str, thread_id: uuid.UUID, message_id: uuid.UUID | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "thread_id": str(thread_id),
        "message_id": str(message_id) if message_id else None,
    }


async def thread_events(
    db: AsyncSession,
    kind: str,
    thread_ids: Sequence[uuid.UUID],
    message_ids: dict[uuid.UUID, uuid.UUID] | None = None,
    *,
    extra_users: Iterable[uuid.UUID] = (),
) -> list[Event]:
    """Inbox events for everyone a thread reaches, and a thread event for its watchers."""
    reached = await audience(db, thread_ids)
    events: list[Event] = []
    for thread_id in thread_ids:
        message_id = (message_ids or {}).get(thread_id)
        payload = _payload(kind, thread_id, message_id)
        for user_id in sorted(reached.get(thread_id, set()) | set(extra_users)):
            events.append(Event(inbox_channel(user_id), payload))
        if kind in (NEW_MESSAGE, MESSAGE_CHANGED, NEW_THREAD):
            events.append(Event(thread_channel(thread_id), payload))
    return events


def personal_event(kind: str, user_id: uuid.UUID, thread_id: uuid.UUID) -> list[Event]:
    return [Event(inbox_channel(user_id), _payload(kind, thread_id, None))]


async def publish(broker: Broker, events: Iterable[Event]) -> None:
    """After commit: best effort; a failing broker never undoes what was written."""
    for event in events:
        try:
            await broker.publish(event.channel, event.payload)
        except Exception:  # pragma: no cover - logged, never raised to the writer
            log.exception("could not publish %s", event.channel)
