"""GraphQL types of absences."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Union

import strawberry

from app.api.errors import (
    ConflictError,
    IdempotencyKeyReusedError,
    NotFoundError,
    ValidationError,
)
from app.attendance.absences import models
from app.attendance.absences.reads import AbsenceRow


@strawberry.enum
class AbsenceKind(Enum):
    SICK = "sick"
    VACATION = "vacation"
    OTHER = "other"


@strawberry.type
class Absence:
    id: strawberry.ID
    kind: AbsenceKind
    from_day: dt.date
    until_day: dt.date | None = strawberry.field(description="Null: sick until reported well.")
    note: str

    @classmethod
    def of(cls, row: models.Absence | AbsenceRow) -> Absence:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=AbsenceKind(row.kind),
            from_day=row.from_day,
            until_day=row.until_day,
            note=row.note,
        )


AbsenceResult = Annotated[
    Union[Absence, ValidationError, NotFoundError, ConflictError, IdempotencyKeyReusedError],
    strawberry.union("AbsenceResult"),
]
