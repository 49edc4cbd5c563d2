"""Read models of absences: what the Absence type shows, as a light row for the day views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class AbsenceRow:
    id: uuid.UUID
    kind: str
    from_day: date
    until_day: date | None
    note: str
