"""Batch loads of announcements, each through the visibility rule: (db, actor, keys)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.announcements.models import Announcement, AnnouncementAttachment, AnnouncementReceipt
from app.announcements.policies import visible_announcements
from app.core.actor import Actor
from app.core.loading import aligned
from app.files.models import StoredFile


async def announcement_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[Announcement | None]:
    rows = await db.scalars(
        select(Announcement).where(Announcement.id.in_(keys), visible_announcements(actor))
    )
    return aligned(rows.all(), keys)


async def my_receipt_by_announcement(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[AnnouncementReceipt | None]:
    """The actor's own receipt of each announcement (None: not addressed to them)."""
    rows = await db.scalars(
        select(AnnouncementReceipt).where(
            AnnouncementReceipt.announcement_id.in_(keys),
            AnnouncementReceipt.user_id == actor.user_id,
        )
    )
    return aligned(rows.all(), keys, "announcement_id")


async def receipt_counts_by_announcement(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[tuple[int, int, int]]:
    """(recipients, read, confirmed), in one statement; the API asks only for announcements
    the actor follows up."""
    rows = await db.execute(
        select(
            AnnouncementReceipt.announcement_id,
            func.count(),
            func.count(AnnouncementReceipt.read_at),
            func.count(AnnouncementReceipt.confirmed_at),
        )
        .where(AnnouncementReceipt.announcement_id.in_(keys))
        .group_by(AnnouncementReceipt.announcement_id)
    )
    counts = {row[0]: (row[1], row[2], row[3]) for row in rows.all()}
    return [counts.get(key, (0, 0, 0)) for key in keys]


async def files_by_announcement(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[StoredFile]]:
    """Attachments in order; asked only for announcements the actor could already see."""
    rows = await db.execute(
        select(AnnouncementAttachment.announcement_id, StoredFile)
        .join(StoredFile, StoredFile.id == AnnouncementAttachment.file_id)
        .where(AnnouncementAttachment.announcement_id.in_(keys))
        .order_by(AnnouncementAttachment.announcement_id, AnnouncementAttachment.position)
    )
    by_announcement: dict[uuid.UUID, list[StoredFile]] = {key: [] for key in keys}
    for announcement_id, file in rows.all():
        by_announcement[announcement_id].append(file)
    return [by_announcement[key] for key in keys]
