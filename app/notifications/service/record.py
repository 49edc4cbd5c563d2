"""The delivery record of one subject (an announcement, a child sent home) per notification
and device, as staff's follow-up and support read it: `queued` (a pending notification not yet
tried on this device or address: no stored row yet), `sent` (handed to the provider, answer
not known), `delivered` (with the provider's id), `failed` (with the reason; retried) and
`given_up` (with the reason). Never what anyone read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuthSession, PushDevice
from app.notifications.models import NotificationDelivery, OutboxEntry

QUEUED = "queued"


@dataclass(frozen=True)
class DeliveryRecord:
    user_id: uuid.UUID
    channel: str
    target: str  # the push device's id, or "email" / "sms"
    platform: str | None
    status: str
    provider_id: str | None = None
    reason: str | None = None
    outbox_id: uuid.UUID | None = None  # None once the outbox's housekeeping purged the row


async def delivery_record(
    db: AsyncSession, *, institution_id: uuid.UUID, subject_id: uuid.UUID, now: datetime
) -> list[DeliveryRecord]:
    """Two statements: the stored records, and the pending notifications with the live devices
    they will go to (queued where nothing is stored for that device yet)."""
    stored = (
        await db.execute(
            select(
                NotificationDelivery.user_id,
                NotificationDelivery.channel,
                NotificationDelivery.target,
                NotificationDelivery.platform,
                NotificationDelivery.status,
                NotificationDelivery.provider_id,
                NotificationDelivery.reason,
                NotificationDelivery.outbox_id,
            ).where(
                NotificationDelivery.institution_id == institution_id,
                NotificationDelivery.subject_id == subject_id,
            )
        )
    ).all()
    records = [DeliveryRecord(*row) for row in stored]
    known = {(r.outbox_id, r.target) for r in records}
    live_sessions = select(AuthSession.id).where(
        AuthSession.revoked_at.is_(None), AuthSession.expires_at > now
    )
    pending = (
        await db.execute(
            select(
                OutboxEntry.id,
                OutboxEntry.user_id,
                OutboxEntry.channel,
                PushDevice.id.label("device_id"),
                PushDevice.platform,
            )
            .outerjoin(
                PushDevice,
                and_(
                    OutboxEntry.channel == "push",
                    PushDevice.user_id == OutboxEntry.user_id,
                    PushDevice.session_id.in_(live_sessions),
                ),
            )
            .where(
                OutboxEntry.institution_id == institution_id,
                OutboxEntry.subject_id == subject_id,
                OutboxEntry.status == "pending",
            )
            .order_by(OutboxEntry.id, PushDevice.id)
        )
    ).all()
    seen: set[tuple[uuid.UUID, str]] = set()
    for row in pending:
        if row.channel == "push":
            if row.device_id is None:  # no live device: nothing is queued for it
                continue
            target, platform = str(row.device_id), row.platform
        else:
            target, platform = row.channel, None
        if (row.id, target) in known or (row.id, target) in seen:
            continue
        seen.add((row.id, target))
        records.append(
            DeliveryRecord(
                user_id=row.user_id,
                channel=row.channel,
                target=target,
                platform=platform,
                status=QUEUED,
                outbox_id=row.id,
            )
        )
    return records
