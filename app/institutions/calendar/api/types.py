"""GraphQL types of the calendar of closed days."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from app.institutions.calendar.service.days import PUBLIC_HOLIDAY, Closure


@strawberry.enum
class ClosedDayKind(Enum):
    PUBLIC_HOLIDAY = "public_holiday"
    INSTITUTION = "institution"


@strawberry.type
class CalendarClosedDay:
    day: dt.date
    kind: ClosedDayKind
    label: str = strawberry.field(
        description="A public holiday's name in the reader's language; an own day's label."
    )
    closed_day_id: strawberry.ID | None = strawberry.field(
        description="The institution's own closing day (removeClosedDay takes it); null for a"
        " public holiday."
    )
    closes_at: dt.time | None = strawberry.field(
        default=None,
        description="Closed from this time of day on (e.g. Grundlovsdag afternoon, 12:00): an"
        " open day until then. Null: closed the whole day.",
    )

    @classmethod
    def of(cls, closure: Closure) -> CalendarClosedDay:
        return cls(
            day=closure.day,
            kind=ClosedDayKind.PUBLIC_HOLIDAY
            if closure.kind == PUBLIC_HOLIDAY
            else ClosedDayKind.INSTITUTION,
            label=closure.label,
            closed_day_id=strawberry.ID(str(closure.closed_day_id))
            if closure.closed_day_id
            else None,
            closes_at=closure.closes_at,
        )


@strawberry.type
class CalendarDays:
    """The closed days of the period a calendar change touched, as they are now."""

    days: list[CalendarClosedDay]

    @classmethod
    def of(cls, closures: list[Closure]) -> CalendarDays:
        return cls(days=[CalendarClosedDay.of(c) for c in closures])
