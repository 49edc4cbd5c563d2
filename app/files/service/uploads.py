"""Uploads: checked by content, images cleaned, stored under the institution's prefix, then
claimed by the domain row that uses them (a message, a photo, a pickup person)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.core.images import ATTACHMENT_FORMATS, MAX_PIXELS, PHOTO_FORMATS, clean_image
from app.db import new_id, utcnow, write_transaction
from app.files.events import StoredObjectsReleased
from app.files.models import StoredFile
from app.files.reads import FileRow
from app.files.service.sniff import clean_filename, sniff
from app.storage import ObjectStorage
from app.storage.links import reused_links

log = logging.getLogger("seddel.files")

MB = 1024 * 1024
UNCLAIMED_LIFETIME = timedelta(hours=24)
# Decoding a 40-megapixel image takes ~160 MB; a few at a time per process is plenty.
_processing = asyncio.Semaphore(2)


@dataclass(frozen=True)
class Purpose:
    max_bytes: int
    # Rendition name -> longest side (None: full size). The first is the file's main one.
    image_sizes: Mapping[str, int | None]
    image_formats: tuple[str, ...]
    documents: bool


PURPOSES: dict[str, Purpose] = {
    "attachment": Purpose(
        25 * MB, {"original": None, "thumbnail": 320}, ATTACHMENT_FORMATS, documents=True
    ),
    "photo": Purpose(
        20 * MB, {"full": None, "display": 1600, "thumbnail": 320}, PHOTO_FORMATS, documents=False
    ),
    "pickup_photo": Purpose(
        10 * MB, {"display": 800, "thumbnail": 320}, PHOTO_FORMATS, documents=False
    ),
}
MAX_UPLOAD_BYTES = max(p.max_bytes for p in PURPOSES.values())


def may_upload(actor: Actor, institution_id: uuid.UUID, purpose: str) -> bool:
    if purpose == "photo":
        return actor.works_in(institution_id)
    if purpose == "pickup_photo":
        return actor.works_in(institution_id) or any(
            c.institution_id == institution_id and c.has_custody for c in actor.children.values()
        )
    return institution_id in actor.employed_in | actor.guardian_institutions


def purpose_rules(purpose: str) -> Purpose:
    rules = PURPOSES.get(purpose)
    if rules is None:
        raise ValidationFailed("unknown_upload_purpose", field="purpose")
    return rules


def check_size(size: int, purpose: str) -> None:
    rules = purpose_rules(purpose)
    if size > rules.max_bytes:
        raise ValidationFailed("file_too_large", field="file", max_mb=rules.max_bytes // MB)


def object_key(institution_id: uuid.UUID, file_id: uuid.UUID, variant: str, ext: str) -> str:
    return f"institutions/{institution_id}/files/{file_id}/{variant}.{ext}"


@dataclass(frozen=True)
class _Object:
    variant: str
    key: str
    data: bytes
    content_type: str
    width: int | None
    height: int | None


async def _renditions(
    data: bytes, filename: str, rules: Purpose, institution_id: uuid.UUID, file_id: uuid.UUID
) -> tuple[str, str, list[_Object]]:
    """(kind, stored file name, objects to write)."""
    sniffed = sniff(data, filename, documents=rules.documents)
    if sniffed.kind == "document":
        assert sniffed.extension and sniffed.content_type
        key = object_key(institution_id, file_id, "original", sniffed.extension)
        return (
            "document",
            filename,
            [_Object("original", key, data, sniffed.content_type, None, None)],
        )
    if sniffed.image_format not in rules.image_formats:
        raise ValidationFailed("unsupported_file_type", field="file")
    async with _processing:
        cleaned = await asyncio.to_thread(
            clean_image,
            data,
            sizes=rules.image_sizes,
            formats=rules.image_formats,
            max_pixels=MAX_PIXELS,
        )
    objects = []
    for variant, rendition in cleaned.renditions.items():
        ext = "png" if rendition.content_type == "image/png" else "jpg"
        objects.append(
            _Object(
                variant,
                object_key(institution_id, file_id, variant, ext),
                rendition.data,
                rendition.content_type,
                rendition.width,
                rendition.height,
            )
        )
    # What is served is a re-encoded JPEG or PNG: the name says so (IMG_0042.HEIC -> .jpg).
    stem = filename.rpartition(".")[0] or filename
    ext = "png" if objects[0].content_type == "image/png" else "jpg"
    return "image", f"{stem}.{ext}", objects


async def upload(
    *,
    db: AsyncSession,
    storage: ObjectStorage,
    actor: Actor,
    institution_id: uuid.UUID,
    purpose: str,
    filename: str,
    data: bytes,
) -> StoredFile:
    """Check, clean and store one upload. Nothing stays behind when any step fails."""
    rules = purpose_rules(purpose)
    if not may_upload(actor, institution_id, purpose):
        raise NotFound(field="institution")
    check_size(len(data), purpose)
    file_id = new_id()
    kind, name, objects = await _renditions(
        data, clean_filename(filename), rules, institution_id, file_id
    )
    main = objects[0]
    row = StoredFile(
        id=file_id,
        institution_id=institution_id,
        uploaded_by=actor.user_id,
        purpose=purpose,
        kind=kind,
        filename=name,
        content_type=main.content_type,
        size=len(main.data),
        width=main.width,
        height=main.height,
        variants={
            o.variant: {
                "key": o.key,
                "content_type": o.content_type,
                "size": len(o.data),
                "width": o.width,
                "height": o.height,
            }
            for o in objects
        },
    )
    written: list[str] = []
    try:
        for o in objects:
            await storage.put(o.key, o.data, content_type=o.content_type)
            written.append(o.key)
        async with write_transaction(db):
            db.add(row)
    except BaseException:
        await delete_objects(storage, written)
        raise
    log.info("file uploaded", extra={"file_id": str(file_id), "purpose": purpose, "kind": kind})
    return row


async def claim(
    *,
    db: AsyncSession,
    actor: Actor,
    file_ids: Sequence[uuid.UUID],
    institution_id: uuid.UUID,
    purpose: str,
    field: str = "files",
) -> list[StoredFile]:
    """Take the actor's own unclaimed uploads for a domain row, inside its transaction.
    Someone else's file, another institution's or purpose's, or one already used: NotFound."""
    wanted = list(dict.fromkeys(file_ids))
    if not wanted:
        return []
    rows = (
        await db.scalars(
            select(StoredFile)
            .where(
                StoredFile.id.in_(wanted),
                StoredFile.institution_id == institution_id,
                StoredFile.uploaded_by == actor.user_id,
                StoredFile.purpose == purpose,
                StoredFile.claimed_at.is_(None),
            )
            .with_for_update()
        )
    ).all()
    by_id = {row.id: row for row in rows}
    if len(by_id) != len(wanted):
        raise NotFound(field=field)
    now = utcnow()
    await db.execute(update(StoredFile).where(StoredFile.id.in_(wanted)).values(claimed_at=now))
    for row in rows:
        row.claimed_at = now
    return [by_id[i] for i in wanted]


def main_variant(file: StoredFile | FileRow) -> str:
    return next(iter(file.variants))


async def signed_url(
    storage: ObjectStorage,
    file: StoredFile | FileRow,
    variant: str | None = None,
    *,
    expires_in: int,
) -> str | None:
    """A short-lived link to one rendition (the main one by default); None if there is no
    such rendition. Callers hand it out only to those who may see the owning row. The same
    link comes back while it has at least half of `expires_in` left (app.storage.links)."""
    meta = file.variants.get(variant or main_variant(file))
    if meta is None:
        return None
    filename = file.filename
    if variant and variant != main_variant(file):
        stem, _, ext = filename.rpartition(".")
        filename = f"{stem}-{variant}.{ext}"
    return await reused_links(storage).signed_url(
        meta["key"], expires_in=expires_in, filename=filename
    )


def keys_of(files: Sequence[StoredFile]) -> list[str]:
    return [meta["key"] for f in files for meta in f.variants.values()]


async def forget_files(*, db: AsyncSession, files: Sequence[StoredFile]) -> list[str]:
    """Delete the rows (inside the caller's transaction); returns the object keys, which
    the caller deletes with delete_objects after its commit."""
    if not files:
        return []
    await db.execute(delete(StoredFile).where(StoredFile.id.in_([f.id for f in files])))
    return keys_of(files)


async def release_after_commit(db: AsyncSession, keys: Sequence[str]) -> None:
    """In the transaction that forgot the files: their objects are deleted once it commits
    (nothing happens if it rolls back)."""
    if keys:
        await events.record(db, StoredObjectsReleased(keys=tuple(keys)))


@events.after_commit(StoredObjectsReleased)
async def delete_released_objects(happened: StoredObjectsReleased, outside: events.Outside) -> None:
    await delete_objects(outside.storage, happened.keys)


async def delete_objects(storage: ObjectStorage, keys: Sequence[str]) -> None:
    """Best effort after commit: a failure is logged and the sweep finds it later."""
    for key in keys:
        try:
            await storage.delete(key)
        except Exception:
            log.exception("could not delete stored object", extra={"key": key})


async def sweep_unclaimed(
    *, db: AsyncSession, storage: ObjectStorage, institution_id: uuid.UUID, now: datetime
) -> int:
    """Uploads nobody claimed within a day (an app that crashed mid-send) are removed."""
    async with write_transaction(db):
        stale = (
            await db.scalars(
                select(StoredFile).where(
                    StoredFile.institution_id == institution_id,
                    StoredFile.claimed_at.is_(None),
                    StoredFile.created_at < now - UNCLAIMED_LIFETIME,
                )
            )
        ).all()
        keys = await forget_files(db=db, files=stale)
    await delete_objects(storage, keys)
    return len(stale)
