"""Batch loads of the gallery, each through its visibility rule: (db, actor, keys) -> aligned."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.loading import aligned
from app.gallery.models import Photo, PhotoChild
from app.gallery.policies import visible_photos
from app.gallery.service import consent
from app.gallery.service import photos as gallery


async def effective_consent_by_child(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[str | None]:
    found = await consent.effective_consents(db, actor, keys)
    return [found.get(key) for key in keys]


async def consent_answers_by_child(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[consent.ConsentAnswer]]:
    found = await consent.consent_answers(db, actor, keys)
    return [found.get(key, []) for key in keys]


async def consent_changes_by_child(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[consent.ConsentChange]]:
    found = await consent.consent_history(db, actor, keys)
    return [found.get(key, []) for key in keys]


async def photo_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[Photo | None]:
    rows = await db.scalars(select(Photo).where(Photo.id.in_(keys), visible_photos(actor)))
    return aligned(rows.all(), keys)


async def child_ids_by_photo(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[uuid.UUID]]:
    """Tagged children of photos (callers reach photos only through visible_photos; the
    children themselves are then loaded through the children's own visibility)."""
    rows = await db.execute(
        select(PhotoChild.photo_id, PhotoChild.child_id)
        .where(PhotoChild.photo_id.in_(keys))
        .order_by(PhotoChild.child_id)
    )
    by_photo: dict[uuid.UUID, list[uuid.UUID]] = {key: [] for key in keys}
    for photo_id, child_id in rows.all():
        by_photo[photo_id].append(child_id)
    return [by_photo[key] for key in keys]


async def photos_by_child_day(
    db: AsyncSession, actor: Actor, keys: Sequence[tuple[uuid.UUID, date]]
) -> list[list[Photo]]:
    found = await gallery.visible_photos_by_child_day(db, actor, keys)
    return [found[key] for key in keys]
