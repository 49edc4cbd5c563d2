"""What attendance tells subscribers after a commit: a child's day changed.

Two channels carry it: `presence-group:{group}` (the tablets showing the group's day) and
`presence-child:{child}` (the guardians' apps). Events carry IDs and a kind only; every
subscriber re-reads the child's row through its own visibility rules."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from app.realtime import Broker

log = logging.getLogger(__name__)


def group_channel(group_id: uuid.UUID) -> str:
    return f"presence-group:{group_id}"


def child_channel(child_id: uuid.UUID) -> str:
    return f"presence-child:{child_id}"


@dataclass(frozen=True)
class DayChanged:
    """A child's day (today, where the child's institution is) changed. `guardians`: also
    tell the child's guardians' subscription, not only the group's tablets. `kind` says what
    changed (presence, absence, plan, sent_home, nightly_close); subscribers re-read anyway."""

    child_id: uuid.UUID
    group_id: uuid.UUID | None
    kind: str
    guardians: bool = False


async def publish(broker: Broker | None, changes: Iterable[DayChanged | None]) -> None:
    """After the commit. Best effort: a broker failure never undoes a committed write (the
    apps re-read on reconnect), so it is logged, not raised."""
    if broker is None:
        return
    for change in changes:
        if change is None:
            continue
        payload = {"child_id": str(change.child_id), "kind": change.kind}
        channels = [group_channel(change.group_id)] if change.group_id is not None else []
        if change.guardians:
            channels.append(child_channel(change.child_id))
        for channel in channels:
            try:
                await broker.publish(channel, payload)
            except Exception:
                log.warning("could not publish %s on %s", change.kind, channel, exc_info=True)
