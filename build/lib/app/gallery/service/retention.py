"""Photo retention: photos older than the institution's `photo_retention_months` go, with
their stored renditions. Called per institution by `seddel retention` (app/notifications'
job registry), on a session scoped to that institution."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import write_transaction
from app.files.service import uploads as files
from app.gallery.models import Photo
from app.gallery.service.photos import delete_photos_returning_keys
from app.institutions.service.settings import institution_settings, months_before
from app.storage import ObjectStorage

BATCH = 500


async def purge_expired_photos(
    *, db: AsyncSession, storage: ObjectStorage, institution_id: uuid.UUID, now: datetime
) -> int:
    """Delete the institution's photos added before the retention period; return how many.
    Rows go in batches, each batch's objects after its commit."""
    settings = await institution_settings(db, institution_id)
    cutoff = months_before(now, settings.photo_retention_months)
    purged = 0
    while True:
        async with write_transaction(db):
            expired = (
                await db.scalars(
                    select(Photo)
                    .where(Photo.institution_id == institution_id, Photo.created_at < cutoff)
                    .order_by(Photo.id)
                    .limit(BATCH)
                )
            ).all()
            keys = await delete_photos_returning_keys(db, expired)
        await files.delete_objects(storage, keys)
        purged += len(expired)
        if len(expired) < BATCH:
            return purged
