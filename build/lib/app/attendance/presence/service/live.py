"""What attendance tells subscribers after a commit: a child's day changed (events.DayChanged,
recorded by the use cases of presence, absences, plans and surveys).

Two channels carry it: `presence-group:{group}` (the tablets showing the group's day) and
`presence-child:{child}` (the guardians' apps). Events carry IDs and a kind only; every
subscriber re-reads the child's row through its own visibility rules."""

from __future__ import annotations

import logging
import uuid

from app.attendance.events import DayChanged
from app.core import events

log = logging.getLogger(__name__)


def group_channel(group_id: uuid.UUID) -> str:
    return f"presence-group:{group_id}"


def child_channel(child_id: uuid.UUID) -> str:
    return f"presence-child:{child_id}"


@events.after_commit(DayChanged)
async def publish_day_changed(change: DayChanged, outside: events.Outside) -> None:
    """After the commit. Best effort: a broker failure never undoes a committed write (the
    apps re-read on reconnect), so it is logged, not raised."""
    payload = {"child_id": str(change.child_id), "kind": change.kind}
    channels = [group_channel(change.group_id)] if change.group_id is not None else []
    if change.guardians:
        channels.append(child_channel(change.child_id))
    for channel in channels:
        try:
            await outside.broker.publish(channel, payload)
        except Exception:
            log.warning("could not publish %s on %s", change.kind, channel, exc_info=True)
