"""GraphQL operations of the calendar: closedDays for the institution's people; closing and
reopening its own days and keeping a public holiday open, for its admins."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.api.errors import NotFoundError, ValidationError, errors_as_data
from app.api.ids import decode
from app.api.permissions import IsAuthenticated
from app.institutions.calendar.api.types import CalendarClosedDay, CalendarDays
from app.institutions.calendar.service import admin as calendar

CalendarDaysResult = Annotated[
    Union[CalendarDays, ValidationError, NotFoundError],
    strawberry.union("CalendarDaysResult"),
]


@strawberry.type
class CalendarQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The institution's closed days between two dates (inclusive, at most 366"
        " days): public holidays it keeps closed and its own closing days. Its staff and the"
        " guardians of its children; anyone else gets an empty list.",
    )
    async def closed_days(
        self,
        info: Info,
        institution_id: strawberry.ID,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
    ) -> list[CalendarClosedDay]:
        rows = await calendar.closed_days(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            start=from_,
            end=to,
        )
        return [CalendarClosedDay.of(r) for r in rows]


@strawberry.type
class CalendarMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def close_days(
        self,
        info: Info,
        institution_id: strawberry.ID,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
        label: str = "",
        closes_at: dt.time | None = None,
    ) -> CalendarDaysResult:
        """Close the institution's own days from `from` to `to` (e.g. 27–31 December); with
        `closesAt`, only from that time of day on (Grundlovsdag afternoon: 12:00)."""
        rows = await calendar.close_days(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            start=from_,
            end=to,
            label=label,
            closes_at=closes_at,
        )
        return CalendarDays.of(rows)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def reopen_days(
        self,
        info: Info,
        institution_id: strawberry.ID,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
    ) -> CalendarDaysResult:
        """Remove the institution's own closing days in the period (public holidays stay)."""
        rows = await calendar.reopen_days(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            start=from_,
            end=to,
        )
        return CalendarDays.of(rows)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def keep_public_holiday_open(
        self, info: Info, institution_id: strawberry.ID, day: dt.date, open: bool
    ) -> CalendarDaysResult:
        """Keep one public holiday of one year open (or closed again, the default)."""
        rows = await calendar.keep_public_holiday_open(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            day=day,
            open_=open,
        )
        return CalendarDays.of(rows)
