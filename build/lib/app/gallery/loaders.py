"""Batch loads of the gallery, each through its visibility rule: (db, actor, keys) -> aligned."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.actor import Actor
from app.core.loading import aligned
from app.gallery.models import Photo, PhotoChild, PhotoConsent, PhotoConsentChange
from app.gallery.policies import effective_consents, visible_photos
from app.institutions.models import GuardianLink


async def effective_consent_by_child(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[str | None]:
    found = await effective_consents(db, actor, keys)
    return [found.get(key) for key in keys]


async def consent_answers_by_child(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[ConsentAnswer]]:
    found = await consent_answers(db, actor, keys)
    return [found.get(key, []) for key in keys]


async def consent_changes_by_child(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[ConsentChange]]:
    found = await consent_history(db, actor, keys)
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
    found = await visible_photos_by_child_day(db, actor, keys)
    return [found[key] for key in keys]


@dataclass(frozen=True)
class ConsentAnswer:
    """A custody guardian's current answer (level None: not answered, the default applies)."""

    child_id: uuid.UUID
    user_id: uuid.UUID
    guardian_name: str
    level: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class ConsentChange:
    child_id: uuid.UUID
    user_id: uuid.UUID
    guardian_name: str
    level: str
    changed_at: datetime


def _answers_scope(actor: Actor) -> ColumnElement[bool]:
    """Staff see every custody guardian's answer; a guardian sees their own."""
    return or_(
        GuardianLink.institution_id.in_(actor.employed_in),
        GuardianLink.user_id == actor.user_id,
    )


async def consent_answers(
    db: AsyncSession, actor: Actor, child_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ConsentAnswer]]:
    """The answers of each child's custody guardians, as far as the actor may see them."""
    rows = await db.execute(
        select(
            GuardianLink.child_id,
            GuardianLink.user_id,
            User.name,
            PhotoConsent.level,
            PhotoConsent.updated_at,
        )
        .join(User, User.id == GuardianLink.user_id)
        .outerjoin(
            PhotoConsent,
            and_(
                PhotoConsent.child_id == GuardianLink.child_id,
                PhotoConsent.user_id == GuardianLink.user_id,
            ),
        )
        .where(
            GuardianLink.child_id.in_(child_ids),
            GuardianLink.has_custody.is_(True),
            _answers_scope(actor),
        )
        .order_by(GuardianLink.created_at, GuardianLink.id)
    )
    by_child: dict[uuid.UUID, list[ConsentAnswer]] = defaultdict(list)
    for child_id, user_id, name, level, at in rows.all():
        by_child[child_id].append(ConsentAnswer(child_id, user_id, name, level, at))
    return by_child


async def consent_history(
    db: AsyncSession, actor: Actor, child_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ConsentChange]]:
    """Every change, newest first: all of them for staff, their own for a guardian."""
    rows = await db.execute(
        select(
            PhotoConsentChange.child_id,
            PhotoConsentChange.user_id,
            User.name,
            PhotoConsentChange.level,
            PhotoConsentChange.created_at,
        )
        .join(User, User.id == PhotoConsentChange.user_id)
        .where(
            PhotoConsentChange.child_id.in_(child_ids),
            or_(
                PhotoConsentChange.institution_id.in_(actor.employed_in),
                and_(
                    PhotoConsentChange.user_id == actor.user_id,
                    PhotoConsentChange.child_id.in_(actor.guardian_of),
                ),
            ),
        )
        .order_by(PhotoConsentChange.created_at.desc(), PhotoConsentChange.id.desc())
    )
    by_child: dict[uuid.UUID, list[ConsentChange]] = defaultdict(list)
    for child_id, user_id, name, level, at in rows.all():
        by_child[child_id].append(ConsentChange(child_id, user_id, name, level, at))
    return by_child


async def visible_photos_by_child_day(
    db: AsyncSession, actor: Actor, keys: Sequence[tuple[uuid.UUID, date]]
) -> dict[tuple[uuid.UUID, date], list[Photo]]:
    """For the child-day timeline: the photos of each (child, day) the actor may see, in the
    order taken, in one statement whatever the number of children and days."""
    result: dict[tuple[uuid.UUID, date], list[Photo]] = {key: [] for key in keys}
    if not keys:
        return result
    rows = await db.execute(
        select(PhotoChild.child_id, Photo)
        .join(Photo, Photo.id == PhotoChild.photo_id)
        .where(
            PhotoChild.child_id.in_({child_id for child_id, _ in keys}),
            Photo.taken_on.in_({day for _, day in keys}),
            visible_photos(actor),
        )
        .order_by(Photo.created_at, Photo.id)
    )
    for child_id, photo in rows.all():
        wanted = result.get((child_id, photo.taken_on))
        if wanted is not None:
            wanted.append(photo)
    return result
