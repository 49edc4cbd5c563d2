"""Who a thread reaches right now: personal participants, the staff behind its shared inboxes.

Used for live events (every reached person's inbox changes) and for notifications
(`recipients_to_notify`: one call for h2-notify's outbox).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from app.institutions.models import AdminMembership, StaffGroup, StaffMembership
from app.messaging.models import Message, Participant, Thread, ThreadState


def _reached(thread_ids: Sequence[uuid.UUID]) -> Any:
    """(thread_id, user_id) of everyone the threads reach now (not removed, not left)."""
    personal = select(Participant.thread_id, Participant.user_id).where(
        Participant.thread_id.in_(thread_ids),
        Participant.kind == "user",
        Participant.removed_at.is_(None),
        Participant.left_at.is_(None),
    )
    group_staff = (
        select(Participant.thread_id, StaffMembership.user_id)
        .join(StaffGroup, StaffGroup.group_id == Participant.group_id)
        .join(StaffMembership, StaffMembership.id == StaffGroup.staff_id)
        .where(
            Participant.thread_id.in_(thread_ids),
            Participant.kind == "group_inbox",
            StaffMembership.is_active.is_(True),
        )
    )
    admins = (
        select(Participant.thread_id, AdminMembership.user_id)
        .join(
            AdminMembership,
            and_(
                AdminMembership.institution_id == Participant.institution_id,
                AdminMembership.is_active.is_(True),
            ),
        )
        .where(Participant.thread_id.in_(thread_ids), Participant.kind == "institution_inbox")
    )
    return union(personal, group_staff, admins)


async def audience(
    db: AsyncSession, thread_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """thread id -> user ids it reaches now (not removed, not left), in one statement."""
    if not thread_ids:
        return {}
    rows: Any = await db.execute(_reached(thread_ids))
    reached: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for thread_id, user_id in rows.all():
        reached[thread_id].add(user_id)
    return reached


@dataclass(frozen=True)
class Audience:
    """Whom threads reach now, and who of them muted which: what both a new message's
    notifications and its live events need, read once."""

    reached: dict[uuid.UUID, set[uuid.UUID]]
    muted: dict[uuid.UUID, set[uuid.UUID]]


async def audience_and_muted(db: AsyncSession, thread_ids: Sequence[uuid.UUID]) -> Audience:
    """`audience` with each person's muted flag, in one statement."""
    found = Audience(defaultdict(set), defaultdict(set))
    if not thread_ids:
        return found
    reached = _reached(thread_ids).subquery()
    rows: Any = await db.execute(
        select(reached.c.thread_id, reached.c.user_id, ThreadState.muted).outerjoin(
            ThreadState,
            and_(
                ThreadState.thread_id == reached.c.thread_id,
                ThreadState.user_id == reached.c.user_id,
            ),
        )
    )
    for thread_id, user_id, muted in rows.all():
        found.reached[thread_id].add(user_id)
        if muted:
            found.muted[thread_id].add(user_id)
    return found


@dataclass(frozen=True)
class NotifyTarget:
    """What a push/e-mail needs to know about a new message, text left out when sensitive."""

    message_id: uuid.UUID
    thread_id: uuid.UUID
    institution_id: uuid.UUID
    sender_id: uuid.UUID
    user_ids: frozenset[uuid.UUID]
    sensitive: bool
    subject: str
    preview: str | None  # None for sensitive threads: their text never goes into a push


async def recipients_to_notify(*, db: AsyncSession, message_id: uuid.UUID) -> NotifyTarget | None:
    """For a new message: whom to notify (user ids), excluding the sender, those who muted
    the thread and those who left or were removed; and whether its text may be shown."""
    row = (
        await db.execute(
            select(Message, Thread)
            .join(Thread, Thread.id == Message.thread_id)
            .where(Message.id == message_id)
        )
    ).first()
    if row is None:
        return None
    message, thread = row
    return notify_target(message, thread, await audience_and_muted(db, [thread.id]))


def notify_target(message: Message, thread: Thread, audience: Audience) -> NotifyTarget:
    """Whom a new message notifies, of an audience read in its transaction."""
    reached = audience.reached.get(thread.id, set())
    muted = audience.muted.get(thread.id, set())
    users = frozenset(reached - muted - {message.sender_id})
    return NotifyTarget(
        message_id=message.id,
        thread_id=thread.id,
        institution_id=thread.institution_id,
        sender_id=message.sender_id,
        user_ids=users,
        sensitive=thread.sensitive,
        subject=thread.subject,
        preview=None if thread.sensitive else message.body[:200],
    )
