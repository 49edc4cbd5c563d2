"""Read models of the gallery for the hot reads: a child's photos of a day (or a few days)
for the child's day timeline, with who took them and what their links need, in one
statement through the photos' one visibility rule (policies.visible_photos).

The statement is anchored on the child's institution and the days asked for (the index
ix_photos_institution_id_taken_on), so its cost follows the photos of those days, never the
institution's photo history; each photo's consent check (policies) runs only for them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.actor import Actor
from app.files.models import StoredFile
from app.files.reads import FILE_COLUMNS, FileRow
from app.gallery.models import Photo, PhotoChild
from app.gallery.policies import visible_photos


@dataclass(frozen=True, slots=True)
class PhotoRow:
    """What the Photo type shows of a photo, with its author's name and its file."""

    id: uuid.UUID
    institution_id: uuid.UUID
    group_id: uuid.UUID
    file_id: uuid.UUID
    taken_on: date
    caption: str
    created_at: datetime
    created_by: uuid.UUID
    taken_by_name: str
    file: FileRow | None


def child_day_photos_statement(
    actor: Actor,
    *,
    child_id: uuid.UUID,
    institution_id: uuid.UUID | ColumnElement[uuid.UUID],
    start: date,
    end: date,
) -> Select[Any]:
    """The photos of the child taken on [start, end] that the actor may see, in the order
    taken; every value a bound parameter, so its compiled form and prepared plan are reused.
    `institution_id` may be a column (a compiled document's, whose child is read with it)."""
    return (
        select(
            Photo.id,
            Photo.institution_id,
            Photo.group_id,
            Photo.file_id,
            Photo.taken_on,
            Photo.caption,
            Photo.created_at,
            Photo.created_by,
            User.name,
            *FILE_COLUMNS,
        )
        .select_from(Photo)
        .join(PhotoChild, and_(PhotoChild.photo_id == Photo.id, PhotoChild.child_id == child_id))
        .outerjoin(User, User.id == Photo.created_by)
        .outerjoin(
            StoredFile,
            and_(
                StoredFile.id == Photo.file_id,
                StoredFile.institution_id.in_(actor.institution_ids),
            ),
        )
        .where(
            Photo.institution_id == institution_id,
            Photo.taken_on >= start,
            Photo.taken_on <= end,
            visible_photos(actor, within=(institution_id, start, end)),
        )
        .order_by(Photo.created_at, Photo.id)
    )


async def child_day_photos(
    db: AsyncSession,
    actor: Actor,
    *,
    child_id: uuid.UUID,
    institution_id: uuid.UUID,
    start: date,
    end: date,
) -> dict[date, list[PhotoRow]]:
    """The photos of the child taken on each day of [start, end] that the actor may see, in
    the order taken: one statement whatever the number of photos."""
    rows = await db.execute(
        child_day_photos_statement(
            actor, child_id=child_id, institution_id=institution_id, start=start, end=end
        )
    )
    by_day: dict[date, list[PhotoRow]] = defaultdict(list)
    for row in rows.all():
        file = (
            FileRow(id=row[9], filename=row[10], width=row[11], height=row[12], variants=row[13])
            if row[9] is not None
            else None
        )
        by_day[row.taken_on].append(
            PhotoRow(
                id=row[0],
                institution_id=row[1],
                group_id=row[2],
                file_id=row[3],
                taken_on=row[4],
                caption=row[5],
                created_at=row[6],
                created_by=row[7],
                taken_by_name=row[8] or "",
                file=file,
            )
        )
    return by_day
