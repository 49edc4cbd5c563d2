"""Photo retention: photos older than the institution's `photo_retention_months` go, with
their stored renditions, except photos showing a child under a legal hold. Contributed to the
retention run as the rule of kind "photos"; runs per institution on a session scoped to it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import write_transaction
from app.files.service import uploads as files
from app.gallery.models import Photo, PhotoChild, PhotoConsent, PhotoConsentChange
from app.gallery.service.photos import delete_photos_returning_keys
from app.institutions.service.settings import institution_settings, months_before
from app.privacy.retention.service.rules import (
    Holds,
    KindReport,
    RuleRun,
    chunks,
    register_retention_rule,
)
from app.storage import ObjectStorage

BATCH = 500


async def purge_photos(
    *,
    db: AsyncSession,
    storage: ObjectStorage,
    institution_id: uuid.UUID,
    now: datetime,
    holds: Holds,
) -> KindReport:
    """Delete the institution's photos added before the retention period that show no held
    child. Rows go in batches, each batch's objects after its commit."""
    settings = await institution_settings(db, institution_id)
    cutoff = months_before(now, settings.photo_retention_months)
    expired = (Photo.institution_id == institution_id) & (Photo.created_at < cutoff)
    held = sorted(holds.children)
    shows_held = exists().where(PhotoChild.photo_id == Photo.id, PhotoChild.child_id.in_(held))
    report = KindReport()
    if held:
        async with write_transaction(db):
            kept = (
                await db.scalars(
                    select(PhotoChild.child_id)
                    .distinct()
                    .join(Photo, Photo.id == PhotoChild.photo_id)
                    .where(expired, PhotoChild.child_id.in_(held))
                )
            ).all()
        report.kept = holds.kept_children(kept)
    while True:
        async with write_transaction(db):
            query = select(Photo).where(expired)
            if held:
                query = query.where(~shows_held)
            batch = (await db.scalars(query.order_by(Photo.id).limit(BATCH))).all()
            keys = await delete_photos_returning_keys(db, batch)
        await files.delete_objects(storage, keys)
        report.deleted += len(batch)
        if len(batch) < BATCH:
            return report


async def purge_expired_photos(
    *, db: AsyncSession, storage: ObjectStorage, institution_id: uuid.UUID, now: datetime
) -> int:
    """`purge_photos` with the institution's holds in force; returns how many photos went."""
    async with write_transaction(db):
        holds = await Holds.in_force(db, institution_id)
    done = await purge_photos(
        db=db, storage=storage, institution_id=institution_id, now=now, holds=holds
    )
    return done.deleted


@register_retention_rule("photos")
async def photos_rule(run: RuleRun) -> KindReport:
    """Photos by age (above); and the photo consents of children gone longer than the photos
    are kept: no photo of theirs is left for a consent to govern."""
    report = await purge_photos(
        db=run.db,
        storage=run.storage,
        institution_id=run.institution_id,
        now=run.now,
        holds=run.holds,
    )
    async with write_transaction(run.db):
        gone, _ = await run.departed(run.settings.photo_retention_months)
    for batch in chunks(gone):
        async with write_transaction(run.db):
            for model in (PhotoConsent, PhotoConsentChange):
                result = await run.db.execute(
                    delete(model).where(
                        model.institution_id == run.institution_id, model.child_id.in_(batch)
                    )
                )
                report.deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return report
