"""Housekeeping of notifications. The outbox (the work queue) keeps delivered and given-up
rows 30 days; the delivery record (whom a notification reached, staff's follow-up) is kept
by the institution's retention: its `message_retention_months`, as long as the messages and
announcements it tells about. A record outlives its outbox row (its `outbox_id` set null)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import write_transaction
from app.institutions.service.settings import message_retention_cutoff
from app.notifications.models import NotificationDelivery, OutboxEntry
from app.storage import ObjectStorage

KEEP_DELIVERED = timedelta(days=30)


async def purge_delivered_notifications(
    *, db: AsyncSession, storage: ObjectStorage, institution_id: uuid.UUID, now: datetime
) -> int:
    """Outbox rows past 30 days and delivery records past the institution's retention."""
    async with write_transaction(db):
        cutoff = await message_retention_cutoff(db, institution_id, now)
        records = await db.execute(
            delete(NotificationDelivery).where(
                NotificationDelivery.institution_id == institution_id,
                NotificationDelivery.updated_at < cutoff,
            )
        )
        rows = await db.execute(
            delete(OutboxEntry).where(
                OutboxEntry.institution_id == institution_id,
                OutboxEntry.status.in_(("sent", "failed")),
                OutboxEntry.created_at < now - KEEP_DELIVERED,
            )
        )
    return int(rows.rowcount or 0) + int(records.rowcount or 0)  # type: ignore[attr-defined]
