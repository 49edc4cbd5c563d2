"""GraphQL types of absences."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Union

import strawberry

from app.api.errors import (
    ChildrenRefusedError,
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


@strawberry.type(description="The absences registered for several children in one call.")
class SiblingAbsences:
    absences: list[Absence] = strawberry.field(description="In the order the children were given.")

    @classmethod
    def of(cls, rows: list[models.Absence]) -> SiblingAbsences:
        return cls(absences=[Absence.of(row) for row in rows])


AbsenceResult = Annotated[
    Union[
        Absence,
        SiblingAbsences,
        ValidationError,
        NotFoundError,
        ConflictError,
        IdempotencyKeyReusedError,
        ChildrenRefusedError,
    ],
    strawberry.union(
        "AbsenceResult",
        description="`SiblingAbsences` and `ChildrenRefusedError` only answer `registerAbsence` "
        "called with `childIds`.",
    ),
]
