"""The child-day channel: what is published on it after commit (the daily log's entries and
the gallery's photos newly showing a child), and the subscription's re-check: every event is
read again as the subscriber, with a fresh session and the subscriber's session token checked
again (revoked: the end). Events carry IDs only."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.daybook.events import DayEntryChanged
from app.daybook.models import DayEntry
from app.daybook.policies import visible_day_entries
from app.daybook.service.entries import readable_child
from app.gallery.events import PhotoShared
from app.gallery.models import Photo
from app.gallery.service import photos as gallery
from app.institutions.service import actor as institutions

log = logging.getLogger("seddel.daybook")


def channel(child_id: uuid.UUID) -> str:
    """The broker channel of a child's day: entries and visible photos (gallery) meet here."""
    return f"child-day:{child_id}"


@events.after_commit(DayEntryChanged)
async def _entry_changed(happened: DayEntryChanged, outside: events.Outside) -> None:
    await _publish(outside, happened.child_id, "entry", happened.entry_id)


@events.after_commit(PhotoShared)
async def _photo_shared(happened: PhotoShared, outside: events.Outside) -> None:
    for child_id in happened.child_ids:
        await _publish(outside, child_id, "photo", happened.photo_id)


async def _publish(outside: events.Outside, child_id: uuid.UUID, kind: str, id_: uuid.UUID) -> None:
    """A broker failure never undoes a committed write (delivery is best effort, apps re-read
    on reconnect), nor keeps the other children of a photo from hearing of it."""
    try:
        await outside.broker.publish(channel(child_id), {"kind": kind, "id": str(id_)})
    except Exception:
        log.warning("could not publish %s %s", kind, id_, exc_info=True)


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
