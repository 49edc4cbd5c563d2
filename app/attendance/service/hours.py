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
from app.institutions.calendar.service.days import closures
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


async def open_span_on(
    db: AsyncSession, institution: Institution, day: date, *, field: str
) -> tuple[time, time]:
    """The opening hours of a day, ending early on a day it closes early (Grundlovsdag
    afternoon); a closed weekday, a public holiday the institution keeps closed or one of its
    own closing days is a DayClosed error."""
    span = opening_span(institution, day.weekday())
    closure = (
        None
        if span is None
        else (await closures(db, [institution.id], day, day, part_days=True))[institution.id].get(
            day
        )
    )
    if span is None or (
        closure is not None and (closure.closes_at is None or closure.closes_at <= span[0])
    ):
        raise DayClosed("plan_day_closed", field=field, day=day.isoformat())
    if closure is not None and closure.closes_at is not None:
        span = (span[0], min(span[1], closure.closes_at))
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
