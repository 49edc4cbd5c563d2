"""Events of the gallery, published after commit. They carry IDs only; each subscriber
re-reads through its own visibility rule (the child-day timeline of app/daybook)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from app.realtime import Broker

log = logging.getLogger("seddel.gallery")


def child_day_channel(child_id: uuid.UUID) -> str:
    return f"child-day:{child_id}"


async def publish_photo_shared(
    broker: Broker, photo_id: uuid.UUID, child_ids: Sequence[uuid.UUID]
) -> None:
    """A photo was tagged with these children: their day has something new."""
    for child_id in child_ids:
        try:
            await broker.publish(
                child_day_channel(child_id), {"kind": "photo", "id": str(photo_id)}
            )
        except Exception:
            # The photo is committed; a lost live event only delays what the app shows.
            log.exception("could not publish photo event", extra={"photo_id": str(photo_id)})
