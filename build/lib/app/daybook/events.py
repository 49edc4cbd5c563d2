"""What the daily log tells the others (app.core.events): handlers live in the slices that
react (the child-day channel's publication: app.daybook.service.live)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core.events import DomainEvent


@dataclass(frozen=True)
class DayEntryChanged(DomainEvent):
    """An entry of a child's day was recorded, corrected or deleted."""

    institution_id: uuid.UUID
    child_id: uuid.UUID
    entry_id: uuid.UUID
