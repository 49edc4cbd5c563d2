"""Housekeeping of the outbox: delivered and given-up notifications are kept 30 days."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import write_transaction
from app.notifications.models import OutboxEntry
from app.storage import ObjectStorage

KEEP_DELIVERED = timedelta(days=30)


async def purge_delivered_notifications(
    *, db: AsyncSession, storage: ObjectStorage, institution_id: uuid.UUID, now: datetime
) -> int:
    async with write_transaction(db):
        result = await db.execute(
            delete(OutboxEntry).where(
                OutboxEntry.institution_id == institution_id,
                OutboxEntry.status.in_(("sent", "failed")),
                OutboxEntry.created_at < now - KEEP_DELIVERED,
            )
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
