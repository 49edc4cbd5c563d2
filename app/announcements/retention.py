"""Retention of announcements: older than the institution's message retention, they go."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.announcements.models import Announcement
from app.db import write_transaction
from app.institutions.models import Institution
from app.storage import ObjectStorage

DEFAULT_RETENTION_MONTHS = 24


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock moment `months` calendar months earlier (day clamped: 31 -> 30)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


async def retention_months(db: AsyncSession, institution_id: uuid.UUID) -> int:
    settings = await db.scalar(select(Institution.settings).where(Institution.id == institution_id))
    value = (settings or {}).get("message_retention_months", DEFAULT_RETENTION_MONTHS)
    return int(value) if isinstance(value, int) and value > 0 else DEFAULT_RETENTION_MONTHS


async def purge_expired_announcements(
    *, db: AsyncSession, storage: ObjectStorage, institution_id: uuid.UUID, now: datetime
) -> int:
    """Delete the institution's announcements posted before the retention period, with their
    receipts and audience (cascade). Runs in a session scoped to that institution."""
    async with write_transaction(db):
        cutoff = months_before(now, await retention_months(db, institution_id))
        result = await db.execute(
            delete(Announcement).where(
                Announcement.institution_id == institution_id, Announcement.created_at < cutoff
            )
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
