"""Retention of announcements: older than the institution's message retention (the
`message_retention_months` setting), they go with their attachments."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.announcements.models import Announcement
from app.announcements.service.posting import forget_attachments
from app.db import write_transaction
from app.files.service.uploads import delete_objects
from app.institutions.service.settings import message_retention_cutoff
from app.privacy.retention.service.rules import KindReport, RuleRun, register_retention_rule
from app.storage import ObjectStorage


async def purge_expired_announcements(
    *, db: AsyncSession, storage: ObjectStorage, institution_id: uuid.UUID, now: datetime
) -> int:
    """Delete the institution's announcements posted before the retention period, with their
    receipts and audience (cascade). Runs in a session scoped to that institution."""
    async with write_transaction(db):
        cutoff = await message_retention_cutoff(db, institution_id, now)
        expired = list(
            (
                await db.scalars(
                    select(Announcement.id).where(
                        Announcement.institution_id == institution_id,
                        Announcement.created_at < cutoff,
                    )
                )
            ).all()
        )
        keys = await forget_attachments(db, expired)
        if expired:
            await db.execute(delete(Announcement).where(Announcement.id.in_(expired)))
    await delete_objects(storage, keys)
    return len(expired)


@register_retention_rule("announcements")
async def announcements_rule(run: RuleRun) -> KindReport:
    """Announcements are to groups or everyone, never about one child or in a thread: no
    legal hold reaches them."""
    deleted = await purge_expired_announcements(
        db=run.db, storage=run.storage, institution_id=run.institution_id, now=run.now
    )
    return KindReport(deleted=deleted)
