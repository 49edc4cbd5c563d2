"""Whom a notification reached: per recipient and channel, from the outbox and the delivery
record. For the staff's follow-up of an announcement or a child sent home ("was each
guardian reached?"); it says whether it arrived at a device or mail server, never what
anyone read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.notifications.models import NotificationDelivery, OutboxEntry

# reached: a device's provider (push) or the mail server (e-mail) accepted it;
# queued: not yet tried, or being retried; not_reached: given up; off: not sent this way
# (switched off by the recipient, muted, or the channel does not apply).
REACHED, QUEUED, NOT_REACHED, OFF = "reached", "queued", "not_reached", "off"


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
    about `link`: a child sent home), their recipients' names, and whether any device took
    the push. Ordered by name."""
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
    subject = latest if subject_id is None else subject_id
    rows = await db.execute(
        select(
            OutboxEntry.user_id,
            User.name,
            OutboxEntry.channel,
            OutboxEntry.status,
            select(NotificationDelivery.id)
            .where(
                and_(
                    NotificationDelivery.outbox_id == OutboxEntry.id,
                    NotificationDelivery.status == "delivered",
                )
            )
            .exists()
            .label("delivered"),
        )
        .join(User, User.id == OutboxEntry.user_id)
        .where(
            OutboxEntry.institution_id == institution_id,
            OutboxEntry.subject_id == subject,
        )
        .order_by(User.name, OutboxEntry.user_id)
    )
    found: dict[uuid.UUID, Reach] = {}
    for row in rows.all():
        reach = found.setdefault(row.user_id, Reach(user_id=row.user_id, name=row.name))
        if row.status == "pending":
            status = REACHED if row.delivered else QUEUED
        elif row.status == "sent":
            status = REACHED if row.channel != "push" or row.delivered else NOT_REACHED
        else:
            status = REACHED if row.delivered else NOT_REACHED
        reach.channels[row.channel] = status
    return list(found.values())
