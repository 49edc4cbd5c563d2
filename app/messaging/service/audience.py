"""Who a thread reaches right now: personal participants, the staff behind its shared inboxes.

Used for live events (every reached person's inbox changes) and for notifications
(`recipients_to_notify`: one call for h2-notify's outbox).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, and_, cast, false, literal, null, or_, select, true, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.db import utcnow
from app.institutions.models import (
    AdminMembership,
    Group,
    Institution,
    StaffGroup,
    StaffMembership,
)
from app.messaging.models import (
    AutoReply,
    InboxAutoReply,
    Message,
    Participant,
    Thread,
    ThreadState,
)
from app.notifications.service.outbox import DeliveryFacts, delivery_columns, delivery_join


def _reached(thread_ids: Sequence[uuid.UUID], *, flagged: bool = False) -> Any:
    """(thread_id, user_id) of everyone the threads reach now (not removed, not left);
    `flagged`: also the institution and whether they take part personally (one row each way
    they are reached)."""

    def extra(
        personal: bool, inbox_group: Any = None, inbox_institution: bool = False
    ) -> list[Any]:
        if not flagged:
            return []
        return [
            Participant.institution_id.label("institution_id"),
            (true() if personal else false()).label("personal"),
            # Which shared inbox reaches them: its away reply is answered as that inbox.
            (inbox_group if inbox_group is not None else cast(null(), Uuid)).label("inbox_group"),
            (true() if inbox_institution else false()).label("inbox_institution"),
        ]

    personal = select(Participant.thread_id, Participant.user_id, *extra(True)).where(
        Participant.thread_id.in_(thread_ids),
        Participant.kind == "user",
        Participant.removed_at.is_(None),
        Participant.left_at.is_(None),
    )
    group_staff = (
        select(
            Participant.thread_id,
            StaffMembership.user_id,
            *extra(False, inbox_group=Participant.group_id),
        )
        .join(StaffGroup, StaffGroup.group_id == Participant.group_id)
        .join(StaffMembership, StaffMembership.id == StaffGroup.staff_id)
        .where(
            Participant.thread_id.in_(thread_ids),
            Participant.kind == "group_inbox",
            StaffMembership.is_active.is_(True),
        )
    )
    admins = (
        select(
            Participant.thread_id,
            AdminMembership.user_id,
            *extra(False, inbox_institution=True),
        )
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
class Away:
    """An away reply due in a thread: its author takes part personally, is away now and has
    not answered the thread since the absence began."""

    thread_id: uuid.UUID
    user_id: uuid.UUID
    name: str
    body: str


@dataclass(frozen=True)
class InboxAway:
    """A shared inbox's away reply due in a thread: the inbox takes part, its period is on
    and it has not answered the thread since the period began. Posted by `set_by` as the
    inbox (`group_id`, or the institution's for None) under the inbox's name."""

    thread_id: uuid.UUID
    reply_id: uuid.UUID
    group_id: uuid.UUID | None
    set_by: uuid.UUID
    name: str
    body: str


@dataclass(frozen=True)
class Audience:
    """Whom threads reach now, who of them muted which, how each wants to be notified, and
    whose away replies are due: all that a new message's notifications, away replies and live
    events need, read once."""

    reached: dict[uuid.UUID, set[uuid.UUID]]
    muted: dict[uuid.UUID, set[uuid.UUID]]
    delivery: DeliveryFacts = field(default_factory=DeliveryFacts)
    away: list[Away] = field(default_factory=list)
    inbox_away: list[InboxAway] = field(default_factory=list)


async def audience_and_muted(
    db: AsyncSession,
    thread_ids: Sequence[uuid.UUID],
    *,
    sender_id: uuid.UUID | None = None,
    now: datetime | None = None,
    to_inboxes: bool = False,
) -> Audience:
    """`audience` with each person's muted flag, notification preferences and waiting digest,
    and (given the sender of a new message) the away replies it sets off: one statement.
    `to_inboxes` (a guardian writes): also the shared inboxes' away replies it sets off."""
    found = Audience(defaultdict(set), defaultdict(set))
    if not thread_ids:
        return found
    now = now or utcnow()
    reached = _reached(thread_ids, flagged=True).subquery()
    preferences, on = delivery_join(reached.c.user_id)
    statement = (
        select(
            reached.c.thread_id,
            reached.c.user_id,
            ThreadState.muted,
            *delivery_columns(reached.c.user_id, now),
        )
        .select_from(reached)
        .outerjoin(
            ThreadState,
            and_(
                ThreadState.thread_id == reached.c.thread_id,
                ThreadState.user_id == reached.c.user_id,
            ),
        )
        .outerjoin(preferences, on)
    )
    if sender_id is not None:
        away_user = aliased(User)
        answered = (
            select(Message.id)
            .where(
                Message.thread_id == reached.c.thread_id,
                Message.sender_id == AutoReply.user_id,
                Message.is_auto_reply.is_(True),
                Message.created_at >= AutoReply.starts_at,
            )
            .exists()
        )
        statement = (
            statement.add_columns(
                AutoReply.id.label("away_id"),
                AutoReply.body.label("away_body"),
                away_user.name.label("away_name"),
                answered.label("away_answered"),
            )
            .outerjoin(
                AutoReply,
                and_(
                    reached.c.personal,
                    AutoReply.user_id == reached.c.user_id,
                    AutoReply.institution_id == reached.c.institution_id,
                    AutoReply.user_id != sender_id,
                    AutoReply.starts_at <= now,
                    AutoReply.ends_at > now,
                ),
            )
            .outerjoin(away_user, away_user.id == AutoReply.user_id)
        )
    else:
        statement = statement.add_columns(literal(None).label("away_id"))
    if sender_id is not None and to_inboxes:
        statement = _with_inbox_replies(statement, reached, now)
    else:
        statement = statement.add_columns(literal(None).label("inbox_reply_id"))
    inbox_away: dict[tuple[uuid.UUID, uuid.UUID], InboxAway] = {}
    away: dict[tuple[uuid.UUID, uuid.UUID], tuple[uuid.UUID, Away]] = {}
    rows: Any = await db.execute(statement)
    for row in rows.all():
        found.reached[row.thread_id].add(row.user_id)
        if row.muted:
            found.muted[row.thread_id].add(row.user_id)
        found.delivery.add(row)
        if row.away_id is not None and not row.away_answered:
            away[(row.thread_id, row.user_id)] = (
                row.away_id,
                Away(row.thread_id, row.user_id, row.away_name or "", row.away_body),
            )
        if row.inbox_reply_id is not None and not row.inbox_answered:
            inbox_away[(row.thread_id, row.inbox_reply_id)] = InboxAway(
                row.thread_id,
                row.inbox_reply_id,
                row.inbox_reply_group,
                row.inbox_reply_set_by,
                row.inbox_group_name or row.inbox_institution_name or "",
                row.inbox_reply_body,
            )
    found.away.extend(reply for _, reply in sorted(away.values(), key=lambda pair: pair[0]))
    found.inbox_away.extend(inbox_away[key] for key in sorted(inbox_away))
    return found


def _with_inbox_replies(statement: Any, reached: Any, now: datetime) -> Any:
    """The audience statement joined with the away reply of the shared inbox each staff row
    is reached through (a row per staff member: deduplicated by the caller), whether the
    inbox answered the thread in this period already, and the inbox's name."""
    answered = (
        select(Message.id)
        .where(
            Message.thread_id == reached.c.thread_id,
            Message.is_auto_reply.is_(True),
            Message.created_at >= InboxAutoReply.starts_at,
            or_(
                and_(
                    InboxAutoReply.group_id.is_not(None),
                    Message.sent_as_group_id == InboxAutoReply.group_id,
                ),
                and_(InboxAutoReply.group_id.is_(None), Message.sent_as_institution.is_(True)),
            ),
        )
        .exists()
    )
    return (
        statement.add_columns(
            InboxAutoReply.id.label("inbox_reply_id"),
            InboxAutoReply.group_id.label("inbox_reply_group"),
            InboxAutoReply.set_by.label("inbox_reply_set_by"),
            InboxAutoReply.body.label("inbox_reply_body"),
            Group.name.label("inbox_group_name"),
            Institution.name.label("inbox_institution_name"),
            answered.label("inbox_answered"),
        )
        .outerjoin(
            InboxAutoReply,
            and_(
                reached.c.personal.is_(False),
                InboxAutoReply.institution_id == reached.c.institution_id,
                or_(
                    InboxAutoReply.group_id == reached.c.inbox_group,
                    and_(reached.c.inbox_institution, InboxAutoReply.group_id.is_(None)),
                ),
                InboxAutoReply.starts_at <= now,
                InboxAutoReply.ends_at > now,
            ),
        )
        .outerjoin(Group, Group.id == InboxAutoReply.group_id)
        .outerjoin(
            Institution,
            and_(
                InboxAutoReply.group_id.is_(None),
                Institution.id == InboxAutoReply.institution_id,
            ),
        )
    )


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
