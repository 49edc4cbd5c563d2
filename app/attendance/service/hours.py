"""The institution's time and opening hours, which plans and surveys both check against:
"now" in the institution's zone, the opening span of a weekday or a date, times within it,
and the typed errors that say why not."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.service import clock
from app.core.errors import ValidationFailed
from app.core.values import WEEKDAYS
from app.institutions.calendar.service.days import Closure, closures
from app.institutions.models import Institution


class DayInPast(ValidationFailed):
    code = "DAY_IN_PAST"


class DayClosed(ValidationFailed):
    code = "DAY_CLOSED"


class OutsideOpeningHours(ValidationFailed):
    code = "OUTSIDE_OPENING_HOURS"


def local_now(institution: Institution) -> datetime:
    return clock.now().astimezone(ZoneInfo(institution.timezone))


def opening_span(institution: Institution, weekday: int) -> tuple[time, time] | None:
    """(opens, closes) on a weekday (0 = Monday), None when closed that weekday."""
    span = (institution.opening_hours or {}).get(WEEKDAYS[weekday])
    if not span:
        return None
    return time.fromisoformat(span[0]), time.fromisoformat(span[1])


def span_on(
    institution: Institution, day: date, closure: Closure | None
) -> tuple[time, time] | None:
    """The opening hours of a date given its closure in the calendar (if any): None when the
    weekday or the date is closed; ending early on a day it closes early (Grundlovsdag
    afternoon), and closed if that is before it opens."""
    span = opening_span(institution, day.weekday())
    if span is None or closure is None:
        return span
    if closure.closes_at is None or closure.closes_at <= span[0]:
        return None
    return span[0], min(span[1], closure.closes_at)


async def open_span_on(
    db: AsyncSession, institution: Institution, day: date, *, field: str
) -> tuple[time, time]:
    """The opening hours of a day (`span_on`); a closed weekday, a public holiday the
    institution keeps closed or one of its own closing days is a DayClosed error."""
    span = opening_span(institution, day.weekday())
    if span is not None:
        found = await closures(db, [institution.id], day, day, part_days=True)
        span = span_on(institution, day, found[institution.id].get(day))
    if span is None:
        raise DayClosed("plan_day_closed", field=field, day=day.isoformat())
    return span


def check_times(span: tuple[time, time], values: list[tuple[time | None, str]]) -> None:
    """Every given time lies within the opening hours; the first comes before the second."""
    opens, closes = span
    for value, field in values:
        if value is not None and not opens <= value <= closes:
            raise OutsideOpeningHours(
                "plan_outside_hours",
                field=field,
                opens=opens.strftime("%H:%M"),
                closes=closes.strftime("%H:%M"),
            )
    (first, _), (second, second_field) = values[0], values[1]
    if first is not None and second is not None and first >= second:
        raise ValidationFailed("plan_arrival_after_pickup", field=second_field)
