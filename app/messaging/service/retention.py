"""Retention: threads whose last activity is older than the institution keeps messages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import write_transaction
from app.files.service import uploads as files
from app.institutions.service.settings import message_retention_cutoff
from app.messaging.models import Thread
from app.messaging.service import attachments
from app.privacy.retention.service.holds import register_thread_institution
from app.storage import ObjectStorage


@register_thread_institution
async def thread_institution(db: AsyncSession, thread_id: uuid.UUID) -> uuid.UUID | None:
    """The institution of a thread in the caller's tenant scope (a legal hold's subject)."""
    return await db.scalar(select(Thread.institution_id).where(Thread.id == thread_id))


async def purge_expired_threads(
    *, db: AsyncSession, storage: ObjectStorage, institution_id: uuid.UUID, now: datetime
) -> int:
    """Delete the institution's threads with no activity for `message_retention_months`
    (with their replies, messages and attachments); objects go after commit. Returns how
    many threads were deleted."""
    async with write_transaction(db):
        cutoff = await message_retention_cutoff(db, institution_id, now)
        expired = list(
            (
                await db.scalars(
                    select(Thread.id).where(
                        Thread.institution_id == institution_id,
                        Thread.last_message_at < cutoff,
                        Thread.parent_thread_id.is_(None),
                    )
                )
            ).all()
        )
        replies = list(
            (
                await db.scalars(
                    select(Thread.id).where(
                        Thread.institution_id == institution_id,
                        Thread.parent_thread_id.is_not(None),
                        or_(Thread.last_message_at < cutoff, Thread.parent_thread_id.in_(expired)),
                    )
                )
            ).all()
        )
        ids = expired + replies
        keys = await attachments.forget_thread_files(db, ids) if ids else []
        if ids:
            await db.execute(delete(Thread).where(Thread.id.in_(replies)))
            await db.execute(delete(Thread).where(Thread.id.in_(expired)))
    await files.delete_objects(storage, keys)
    return len(ids)
