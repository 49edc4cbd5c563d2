"""Whom a notification reached: per recipient and channel, from the outbox and the delivery
record. For the staff's follow-up of an announcement or a child sent home ("was each
guardian reached?"); it says whether it arrived at a device or mail server, never what
anyone read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.notifications.models import NotificationDelivery, OutboxEntry

# reached: a device's provider (push) or the mail server (e-mail) accepted it;
# queued: not yet tried, or being retried; not_reached: given up; off: not sent this way
# (switched off by the recipient, muted, or the channel does not apply).
REACHED, QUEUED, NOT_REACHED, OFF = "reached", "queued", "not_reached", "off"
# An outbox row purged by the outbox's housekeeping: only its delivery records are left.
PURGED = "purged"


@dataclass
class Reach:
    user_id: uuid.UUID
    name: str
    channels: dict[str, str] = field(default_factory=dict)  # push | email | sms -> status

    def of(self, channel: str) -> str:
        return self.channels.get(channel, OFF)


async def reach_of(
    db: AsyncSession,
    *,
    institution_id: uuid.UUID,
    subject_id: uuid.UUID | None = None,
    link: str | None = None,
    kind: str | None = None,
) -> list[Reach]:
    """One statement: the outbox rows of a subject (or of the latest notification of `kind`
    about `link`: a child sent home) and whether any device took the push, with the delivery
    records whose outbox row the outbox's own housekeeping purged (the record is kept by the
    institution's retention, longer); their recipients' names. Ordered by name."""
    subject: Any = subject_id
    if subject_id is None:
        latest = (
            select(OutboxEntry.subject_id)
            .where(
                OutboxEntry.institution_id == institution_id,
                OutboxEntry.link == link,
                OutboxEntry.kind == kind,
            )
            .order_by(OutboxEntry.created_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        kept = (
            select(NotificationDelivery.subject_id)
            .where(
                NotificationDelivery.institution_id == institution_id,
                NotificationDelivery.link == link,
                NotificationDelivery.kind == kind,
            )
            .order_by(NotificationDelivery.updated_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        subject = func.coalesce(latest, kept)
    queued = select(
        OutboxEntry.user_id.label("user_id"),
        OutboxEntry.channel.label("channel"),
        OutboxEntry.status.label("status"),
        select(NotificationDelivery.id)
        .where(
            and_(
                NotificationDelivery.outbox_id == OutboxEntry.id,
                NotificationDelivery.status == "delivered",
            )
        )
        .exists()
        .label("delivered"),
    ).where(OutboxEntry.institution_id == institution_id, OutboxEntry.subject_id == subject)
    purged = select(
        NotificationDelivery.user_id,
        NotificationDelivery.channel,
        literal(PURGED).label("status"),
        (NotificationDelivery.status == "delivered").label("delivered"),
    ).where(
        NotificationDelivery.institution_id == institution_id,
        NotificationDelivery.subject_id == subject,
        NotificationDelivery.outbox_id.is_(None),
    )
    both = union_all(queued, purged).subquery()
    rows = await db.execute(
        select(both.c.user_id, User.name, both.c.channel, both.c.status, both.c.delivered)
        .join(User, User.id == both.c.user_id)
        .order_by(User.name, both.c.user_id)
    )
    found: dict[uuid.UUID, Reach] = {}
    for row in rows.all():
        reach = found.setdefault(row.user_id, Reach(user_id=row.user_id, name=row.name))
        if row.delivered:
            status = REACHED
        elif row.status == "pending":
            status = QUEUED
        elif row.status == "sent" and row.channel != "push":
            status = REACHED
        else:
            status = NOT_REACHED
        if reach.channels.get(row.channel) != REACHED:  # one device or record reached is enough
            reach.channels[row.channel] = status
    return list(found.values())
