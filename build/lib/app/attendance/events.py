"""What attendance's use cases record (app.core.events): a child's day changed, which the
tablets and the guardians' apps hear of after the commit (presence.service.live), and a
pickup person withdrawn, whose plans go in the same transaction (plans.service.entries)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core.events import DomainEvent


@dataclass(frozen=True)
class DayChanged(DomainEvent):
    """A child's day (today, where the child's institution is) changed. `guardians`: also
    tell the child's guardians' subscription, not only the group's tablets. `kind` says what
    changed (presence, absence, plan, sent_home, nightly_close); subscribers re-read anyway."""

    child_id: uuid.UUID
    group_id: uuid.UUID | None
    kind: str
    guardians: bool = False


@dataclass(frozen=True)
class PickupPersonWithdrawn(DomainEvent):
    """A custody guardian withdrew a pickup person; recorded while the row still exists, so
    the plans naming them go first, each with a trace in the plan's history."""

    person_id: uuid.UUID
    withdrawn_by: uuid.UUID
