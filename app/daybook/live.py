"""The child-day subscription's re-check: every event is read again as the subscriber, with
a fresh session and the subscriber's session token checked again (revoked: the end)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.daybook.models import DayEntry
from app.daybook.policies import visible_day_entries
from app.daybook.service import readable_child
from app.gallery import service as gallery
from app.gallery.models import Photo
from app.institutions.service import actor as institutions


@dataclass(frozen=True)
class Seen:
    kind: str  # "entry" | "photo"
    id: uuid.UUID
    visible: bool
    entry: DayEntry | None = None  # None for a deleted entry (and for photos)
    photo: Photo | None = None


def _event_id(event: dict[str, Any]) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(event.get("id")))
    except ValueError:
        return None


async def recheck(
    *,
    sessions: Callable[[], Any],
    token: str | None,
    child_id: uuid.UUID,
    event: dict[str, Any],
) -> Seen | None:
    """What this subscriber may learn of `event`; None when the subscription must end."""
    if token is None:
        return None
    db: AsyncSession
    async with sessions() as db, db.begin():
        actor = await institutions.sign_in(db=db, token=token)
        if actor is None:
            return None
        if await readable_child(db, actor, child_id) is None:
            return None
        kind, event_id = event.get("kind"), _event_id(event)
        if event_id is None or kind not in ("entry", "photo"):
            return Seen(kind="entry", id=uuid.UUID(int=0), visible=False)
        if kind == "photo":
            # Told only when this subscriber may see the photo now (consent applies live).
            photo = await gallery.visible_photo_of_child(
                db, actor, photo_id=event_id, child_id=child_id
            )
            return Seen(kind="photo", id=event_id, visible=photo is not None, photo=photo)
        entry = await db.scalar(
            select(DayEntry).where(DayEntry.id == event_id, DayEntry.child_id == child_id)
        )
        if entry is None:
            return Seen(kind="entry", id=event_id, visible=False)
        visible = await db.scalar(
            select(DayEntry.id).where(DayEntry.id == entry.id, visible_day_entries(actor))
        )
        if visible is None and entry.deleted_at is None:
            return Seen(kind="entry", id=event_id, visible=False)
        # A deletion is told as an entry that is gone (guardians saw it before).
        return Seen(
            kind="entry", id=event_id, visible=True, entry=entry if visible is not None else None
        )
