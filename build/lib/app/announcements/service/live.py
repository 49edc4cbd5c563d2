"""Live events of announcements: after commit, an inbox event per recipient (IDs only) on
messaging's `inbox:<user id>` channel; the apps re-read."""

from __future__ import annotations

import logging

from app.announcements.events import AnnouncementPosted
from app.core import events
from app.messaging.service.live import inbox_channel

log = logging.getLogger("seddel.announcements")


@events.after_commit(AnnouncementPosted)
async def publish_posted(happened: AnnouncementPosted, outside: events.Outside) -> None:
    """Best effort: the announcement is posted; a lost live event is not an error."""
    event = {"kind": "announcement", "announcement_id": str(happened.announcement_id)}
    try:
        for user_id in happened.recipients:
            await outside.broker.publish(inbox_channel(user_id), event)
    except Exception:
        log.warning("inbox event for announcement %s not published", happened.announcement_id)
