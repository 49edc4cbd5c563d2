"""Use cases of photos: staff add, tag, re-tag and delete them; everyone reads them through
visible_photos (app.gallery.policies), computed from the current consent at read time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.core.actor import Actor
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.pagination import Page, check_page_size, paginate
from app.db import write_transaction
from app.files.models import StoredFile
from app.files.service import uploads as files
from app.gallery.events import PhotoShared
from app.gallery.models import Photo, PhotoChild
from app.gallery.policies import can_manage_photos, effective_consents, visible_photos
from app.institutions.models import Child, Group, Institution

MAX_CAPTION = 1000
MAX_CHILDREN = 60


class NoPhotoConsent(DomainError):
    """A child whose effective consent is "none" cannot be tagged."""

    code = "NO_PHOTO_CONSENT"


@dataclass(frozen=True)
class PhotoChange:
    """What a mutation did: the photo, and the children newly shown on it."""

    photo: Photo
    newly_tagged: list[uuid.UUID]


async def _today(db: AsyncSession, institution_id: uuid.UUID) -> date:
    institution = await db.get(Institution, institution_id)
    assert institution is not None
    return datetime.now(ZoneInfo(institution.timezone)).date()


def _clean_caption(caption: str) -> str:
    cleaned = caption.strip()
    if len(cleaned) > MAX_CAPTION:
        raise ValidationFailed("too_long", field="caption", max=MAX_CAPTION)
    return cleaned


async def _shared(db: AsyncSession, photo: Photo, children: list[uuid.UUID]) -> None:
    """Tell the others (after commit) which children the photo newly shows."""
    if children:
        await events.record(
            db,
            PhotoShared(
                institution_id=photo.institution_id, photo_id=photo.id, child_ids=tuple(children)
            ),
        )


async def _managed_group(db: AsyncSession, actor: Actor, group_id: uuid.UUID) -> Group:
    group = await db.get(Group, group_id)
    if group is None or not can_manage_photos(actor, group.institution_id, group.id):
        raise NotFound(field="groupId")
    return group


async def _check_children(
    db: AsyncSession, actor: Actor, group: Group, child_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """The children may be tagged: of this institution (else not found), of this group, and
    with an effective consent other than "none"."""
    wanted = list(dict.fromkeys(child_ids))
    if len(wanted) > MAX_CHILDREN:
        raise ValidationFailed("too_many_children", field="childIds", max=MAX_CHILDREN)
    if not wanted:
        return []
    rows = {
        row.id: row
        for row in (
            await db.scalars(
                select(Child).where(
                    Child.id.in_(wanted), Child.institution_id == group.institution_id
                )
            )
        ).all()
    }
    if len(rows) != len(wanted):
        raise NotFound(field="childIds")
    if any(rows[i].group_id != group.id for i in wanted):
        raise ValidationFailed("child_not_in_group", field="childIds")
    consents = await effective_consents(db, actor, wanted)
    refused = [rows[i] for i in wanted if consents.get(i, "none") == "none"]
    if refused:
        names = ", ".join(f"{c.first_name} {c.last_name}" for c in refused)
        raise NoPhotoConsent("photo_consent_none", field="childIds", name=names)
    return wanted


async def add_photo(
    *,
    db: AsyncSession,
    actor: Actor,
    group_id: uuid.UUID,
    file_id: uuid.UUID,
    taken_on: date | None = None,
    caption: str = "",
    child_ids: Sequence[uuid.UUID] = (),
) -> PhotoChange:
    """Add an uploaded photo (purpose "photo") to the group's day and tag who is on it."""
    cleaned = _clean_caption(caption)
    async with write_transaction(db):
        group = await _managed_group(db, actor, group_id)
        today = await _today(db, group.institution_id)
        day = taken_on or today
        if day > today:
            raise ValidationFailed("photo_date_future", field="takenOn")
        tagged = await _check_children(db, actor, group, child_ids)
        (file,) = await files.claim(
            db=db,
            actor=actor,
            file_ids=[file_id],
            institution_id=group.institution_id,
            purpose="photo",
            field="fileId",
        )
        photo = Photo(
            institution_id=group.institution_id,
            group_id=group.id,
            file_id=file.id,
            taken_on=day,
            caption=cleaned,
            created_by=actor.user_id,
        )
        db.add(photo)
        await db.flush()
        db.add_all(
            PhotoChild(photo_id=photo.id, child_id=c, institution_id=group.institution_id)
            for c in tagged
        )
        await _shared(db, photo, tagged)
    return PhotoChange(photo=photo, newly_tagged=tagged)


async def _managed_photo(db: AsyncSession, actor: Actor, photo_id: uuid.UUID) -> Photo:
    photo = await db.get(Photo, photo_id)
    if photo is None or not can_manage_photos(actor, photo.institution_id, photo.group_id):
        raise NotFound(field="photoId")
    return photo


async def update_photo(
    *,
    db: AsyncSession,
    actor: Actor,
    photo_id: uuid.UUID,
    caption: str | None = None,
    taken_on: date | None = None,
    child_ids: Sequence[uuid.UUID] | None = None,
) -> PhotoChange:
    """Change the caption or date, or replace who is tagged (the same checks as adding)."""
    cleaned = _clean_caption(caption) if caption is not None else None
    async with write_transaction(db):
        photo = await _managed_photo(db, actor, photo_id)
        if taken_on is not None:
            if taken_on > await _today(db, photo.institution_id):
                raise ValidationFailed("photo_date_future", field="takenOn")
            photo.taken_on = taken_on
        if cleaned is not None:
            photo.caption = cleaned
        added: list[uuid.UUID] = []
        if child_ids is not None:
            group = await db.get(Group, photo.group_id)
            assert group is not None
            tagged = await _check_children(db, actor, group, child_ids)
            before = set(
                (
                    await db.scalars(
                        select(PhotoChild.child_id).where(PhotoChild.photo_id == photo.id)
                    )
                ).all()
            )
            await db.execute(
                delete(PhotoChild).where(
                    PhotoChild.photo_id == photo.id, PhotoChild.child_id.not_in(tagged)
                )
            )
            added = [c for c in tagged if c not in before]
            db.add_all(
                PhotoChild(photo_id=photo.id, child_id=c, institution_id=photo.institution_id)
                for c in added
            )
            await _shared(db, photo, added)
    return PhotoChange(photo=photo, newly_tagged=added)


async def delete_photos_returning_keys(db: AsyncSession, photos: Sequence[Photo]) -> list[str]:
    """Inside the caller's transaction: the rows go; the object keys come back, for
    files.delete_objects after commit."""
    if not photos:
        return []
    stored = (
        await db.scalars(select(StoredFile).where(StoredFile.id.in_([p.file_id for p in photos])))
    ).all()
    ids = [p.id for p in photos]
    await db.execute(delete(PhotoChild).where(PhotoChild.photo_id.in_(ids)))
    await db.execute(delete(Photo).where(Photo.id.in_(ids)))
    return await files.forget_files(db=db, files=stored)


async def delete_photo(*, db: AsyncSession, actor: Actor, photo_id: uuid.UUID) -> None:
    """Delete a photo; its stored renditions go after the commit."""
    async with write_transaction(db):
        photo = await _managed_photo(db, actor, photo_id)
        await files.release_after_commit(db, await delete_photos_returning_keys(db, [photo]))


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlbumDay:
    group_id: uuid.UUID
    day: date
    photo_count: int


async def album_days(
    *,
    db: AsyncSession,
    actor: Actor,
    group_id: uuid.UUID,
    first: int | None,
    before: date | None = None,
) -> tuple[list[AlbumDay], bool]:
    """The group's days with photos the actor may see, newest first: (days, more)."""
    size = check_page_size(first)
    statement = (
        select(Photo.taken_on, func.count())
        .where(Photo.group_id == group_id, visible_photos(actor))
        .group_by(Photo.taken_on)
        .order_by(Photo.taken_on.desc())
        .limit(size + 1)
    )
    if before is not None:
        statement = statement.where(Photo.taken_on < before)
    rows = (await db.execute(statement)).all()
    days = [AlbumDay(group_id, day, count) for day, count in rows[:size]]
    return days, len(rows) > size


async def album_count(*, db: AsyncSession, actor: Actor, group_id: uuid.UUID, day: date) -> int:
    """How many of the group's photos of `day` the actor may see."""
    count = await db.scalar(
        select(func.count())
        .select_from(Photo)
        .where(Photo.group_id == group_id, Photo.taken_on == day, visible_photos(actor))
    )
    return int(count or 0)


async def album_photos(
    *,
    db: AsyncSession,
    actor: Actor,
    group_id: uuid.UUID,
    day: date,
    first: int | None,
    after: str | None,
) -> Page[Photo]:
    """One day's photos of a group, as far as the actor may see them, in the order taken."""
    statement = select(Photo).where(
        Photo.group_id == group_id, Photo.taken_on == day, visible_photos(actor)
    )
    return await paginate(db, statement, order_by=[Photo.id], first=first, after=after)


async def child_photos(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    first: int | None,
    after: str | None,
) -> Page[Photo]:
    """Every photo of the child the actor may see, in the order taken."""
    statement = (
        select(Photo)
        .join(PhotoChild, PhotoChild.photo_id == Photo.id)
        .where(PhotoChild.child_id == child_id, visible_photos(actor))
    )
    return await paginate(db, statement, order_by=[Photo.id], first=first, after=after)


async def visible_photo_of_child(
    db: AsyncSession, actor: Actor, *, photo_id: uuid.UUID, child_id: uuid.UUID
) -> Photo | None:
    """The photo, when it shows the child and the actor may see it (live events re-check)."""
    found: Photo | None = await db.scalar(
        select(Photo)
        .join(PhotoChild, PhotoChild.photo_id == Photo.id)
        .where(Photo.id == photo_id, PhotoChild.child_id == child_id, visible_photos(actor))
    )
    return found
