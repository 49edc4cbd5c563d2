"""What messaging records (app.core.events): a thread's activity for the live inbox and
thread events, and the stored objects of deleted attachments, both handled after commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core.events import DomainEvent

# What changed, as the inbox events name it (the `kind` of the payload and of InboxEventKind).
NEW_THREAD = "NEW_THREAD"
NEW_MESSAGE = "NEW_MESSAGE"
MESSAGE_CHANGED = "MESSAGE_CHANGED"
READ = "READ"
THREAD_CHANGED = "THREAD_CHANGED"


@dataclass(frozen=True)
class ThreadActivity(DomainEvent):
    """Something changed in a thread (`kind`, one of the names above; the message concerned,
    if any) for the people it reached when it happened: resolved in the transaction, so that
    someone removed or a deleted thread's participants still hear of it."""

    kind: str
    thread_id: uuid.UUID
    message_id: uuid.UUID | None
    reached: tuple[uuid.UUID, ...]
