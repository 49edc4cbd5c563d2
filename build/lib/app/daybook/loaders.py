"""Batch loads of the daily log, each through the type's visibility rule."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.loading import aligned, grouped
from app.daybook.models import DayEntry, DayEntryVersion, IncidentReceipt
from app.daybook.policies import visible_day_entries


async def day_entry_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[DayEntry | None]:
    rows = await db.scalars(
        select(DayEntry).where(DayEntry.id.in_(keys), visible_day_entries(actor))
    )
    return aligned(rows.all(), keys)


async def versions_by_entry(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[DayEntryVersion]]:
    """The history, for the institution's staff only."""
    if not actor.employed_in:
        return [[] for _ in keys]
    rows = await db.scalars(
        select(DayEntryVersion)
        .where(
            DayEntryVersion.entry_id.in_(keys),
            DayEntryVersion.institution_id.in_(actor.employed_in),
        )
        .order_by(DayEntryVersion.entry_id, DayEntryVersion.version)
    )
    return grouped(rows.all(), keys, "entry_id")


async def receipts_by_entry(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[IncidentReceipt]]:
    """Staff see every guardian's receipt of an incident; a guardian their own."""
    rows = await db.scalars(
        select(IncidentReceipt)
        .where(
            IncidentReceipt.entry_id.in_(keys),
            or_(
                IncidentReceipt.institution_id.in_(actor.employed_in),
                IncidentReceipt.user_id == actor.user_id,
            ),
        )
        .order_by(IncidentReceipt.entry_id, IncidentReceipt.notified_at, IncidentReceipt.id)
    )
    return grouped(rows.all(), keys, "entry_id")
