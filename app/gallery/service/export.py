"""A guardian's export: every photo of their child they may see, at full resolution (the
re-encoded rendition, without metadata), as one ZIP written while it is sent."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound
from app.core.zipstream import ZipEntry, stream_zip_entries
from app.files.models import StoredFile
from app.gallery.models import Photo, PhotoChild
from app.gallery.policies import visible_photos
from app.institutions.models import Child
from app.storage import ObjectNotFound, ObjectStorage


@dataclass(frozen=True)
class ExportItem:
    name: str
    key: str
    taken_on: date


@dataclass(frozen=True)
class Export:
    filename: str
    items: list[ExportItem]


async def plan_export(*, db: AsyncSession, actor: Actor, child_id: uuid.UUID) -> Export:
    """What goes into the ZIP: read once, through visible_photos, before streaming starts."""
    if child_id not in actor.children:
        raise NotFound(field="childId")
    child = await db.get(Child, child_id)
    if child is None:
        raise NotFound(field="childId")
    rows = (
        await db.execute(
            select(Photo.taken_on, StoredFile.variants)
            .join(PhotoChild, PhotoChild.photo_id == Photo.id)
            .join(StoredFile, StoredFile.id == Photo.file_id)
            .where(PhotoChild.child_id == child_id, visible_photos(actor))
            .order_by(Photo.taken_on, Photo.id)
        )
    ).all()
    items = []
    for number, (taken_on, variants) in enumerate(rows, start=1):
        full = variants.get("full") or next(iter(variants.values()))
        ext = full["key"].rpartition(".")[2] or "jpg"
        name = f"{taken_on.isoformat()}_{number:04d}.{ext}"
        items.append(ExportItem(name, full["key"], taken_on))
    stem = f"{child.first_name}-{child.last_name}".replace(" ", "-").lower()
    return Export(filename=f"photos-{stem}.zip", items=items)


async def stream_zip(storage: ObjectStorage, export: Export) -> AsyncIterator[bytes]:
    """The ZIP, one photo at a time: memory stays at about one photo whatever the count.
    JPEGs do not compress further, so entries are stored."""
    async for chunk in stream_zip_entries(_entries(storage, export)):
        yield chunk


async def _entries(storage: ObjectStorage, export: Export) -> AsyncIterator[ZipEntry]:
    for item in export.items:
        try:
            data = await storage.get(item.key)
        except ObjectNotFound:
            continue  # deleted while the export ran
        yield ZipEntry(item.name, data, datetime.combine(item.taken_on, time(12)))
