"""Which days an institution is closed. Denmark's public holidays come from the `holidays`
library (country DK; it knows the moving feasts and that Store bededag ended in 2024) and count
as closed unless the admin keeps one open that year; the institution's own closing days are
rows of closed_days. 24 December, 31 December and Grundlovsdag are not public holidays: an
institution closes them as its own days. An own day may close from a time of day on
(`closes_at`, Grundlovsdag afternoon): that is an open day with shorter hours, so it is not a
closed date for plans, surveys and reports, but their times end there (`early_closings`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache

import holidays
from sqlalchemy import String, Time, and_, case, exists, literal, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from app.core.i18n import translate
from app.institutions.calendar.models import HolidayKeptOpen
from app.institutions.models import ClosedDay

PUBLIC_HOLIDAY = "public_holiday"
INSTITUTION = "institution"
# The library's language codes for the languages Seddel speaks.
HOLIDAY_LANGUAGES = {"da": "da", "en": "en_US"}


@dataclass(frozen=True)
class Closure:
    """One closed day: what closes it, its label in the reader's language, and the row of an
    institution's own closing day (which the admin may remove)."""

    day: date
    kind: str
    label: str
    closed_day_id: uuid.UUID | None = None
    # Closed from this time of day on; None: the whole day.
    closes_at: time | None = None


@lru_cache(maxsize=64)
def _holidays_of(year: int, language: str) -> tuple[tuple[date, str], ...]:
    table = holidays.country_holidays(
        "DK", years=year, language=HOLIDAY_LANGUAGES.get(language, "da")
    )
    return tuple(sorted(table.items()))


def public_holidays(start: date, end: date, language: str = "da") -> dict[date, str]:
    """Denmark's public holidays between two dates (inclusive), named in the language."""
    found: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        found.update((d, name) for d, name in _holidays_of(year, language) if start <= d <= end)
    return found


def is_public_holiday(day: date) -> bool:
    return day in dict(_holidays_of(day.year, "da"))


async def closures(
    db: AsyncSession,
    institution_ids: Sequence[uuid.UUID],
    start: date,
    end: date,
    language: str = "da",
    *,
    part_days: bool = False,
) -> dict[uuid.UUID, dict[date, Closure]]:
    """Per institution, its closed days between two dates (inclusive); with `part_days` also
    the days it closes early (which are open days otherwise). One statement: the own closing
    days and the public holidays kept open, together."""
    result: dict[uuid.UUID, dict[date, Closure]] = {i: {} for i in institution_ids}
    if not institution_ids or end < start:
        return result
    own = select(
        ClosedDay.institution_id,
        ClosedDay.day,
        ClosedDay.reason.label("label"),
        ClosedDay.id,
        literal("closed", String).label("what"),
        ClosedDay.closes_at,
    ).where(ClosedDay.institution_id.in_(institution_ids), ClosedDay.day.between(start, end))
    if not part_days:
        own = own.where(ClosedDay.closes_at.is_(None))
    kept_open = select(
        HolidayKeptOpen.institution_id,
        HolidayKeptOpen.day,
        literal("", String).label("label"),
        HolidayKeptOpen.id,
        literal("open", String).label("what"),
        literal(None, Time).label("closes_at"),
    ).where(
        HolidayKeptOpen.institution_id.in_(institution_ids),
        HolidayKeptOpen.day.between(start, end),
    )
    rows = (await db.execute(own.union_all(kept_open))).all()
    opened = {(row.institution_id, row.day) for row in rows if row.what == "open"}
    named = public_holidays(start, end, language)
    for institution_id, days in result.items():
        for day, name in named.items():
            if (institution_id, day) not in opened:
                days[day] = Closure(day, PUBLIC_HOLIDAY, name)
    for row in rows:
        if row.what != "closed":
            continue
        holiday = result[row.institution_id].get(row.day)
        if holiday is not None and row.closes_at is not None:
            continue  # a public holiday kept closed stays closed the whole day
        label = row.label or (
            holiday.label if holiday else translate("institution_closing_day", language)
        )
        result[row.institution_id][row.day] = Closure(
            row.day, INSTITUTION, label, row.id, row.closes_at
        )
    return result


async def early_closings(
    db: AsyncSession, institution_id: uuid.UUID, start: date, end: date
) -> dict[date, time]:
    """The days between two dates (inclusive) the institution closes early, and when: its
    own closing days with a time of day. One statement."""
    rows = await db.execute(
        select(ClosedDay.day, ClosedDay.closes_at).where(
            ClosedDay.institution_id == institution_id,
            ClosedDay.day.between(start, end),
            ClosedDay.closes_at.is_not(None),
        )
    )
    return {day: closes for day, closes in rows.all() if closes is not None}


async def closed_dates(
    db: AsyncSession, institution_id: uuid.UUID, start: date, end: date
) -> set[date]:
    """The institution's closed dates between two dates (inclusive); one statement."""
    return set((await closures(db, [institution_id], start, end))[institution_id])


def closed_on(
    day: date, institution_id: InstrumentedAttribute[uuid.UUID] | ColumnElement[uuid.UUID]
) -> ColumnElement[bool]:
    """SQL: the institution in `institution_id` is closed on `day` (for statements that read
    many institutions' children at once)."""
    own = exists(
        select(literal(1)).where(
            ClosedDay.institution_id == institution_id,
            ClosedDay.day == day,
            ClosedDay.closes_at.is_(None),
        )
    )
    if not is_public_holiday(day):
        return own
    kept_open = exists(
        select(literal(1)).where(
            and_(HolidayKeptOpen.institution_id == institution_id, HolidayKeptOpen.day == day)
        )
    )
    return or_(own, not_(kept_open))


def closes_early_on(
    day: date, institution_id: InstrumentedAttribute[uuid.UUID] | ColumnElement[uuid.UUID]
) -> ColumnElement[time | None]:
    """SQL: the time of day the institution in `institution_id` closes on `day` when it closes
    early (its own closing day with a time), null on a day open all day or closed the whole
    day. A public holiday kept closed stays closed the whole day, as in `closures`."""
    own: ColumnElement[time | None] = (
        select(ClosedDay.closes_at)
        .where(ClosedDay.institution_id == institution_id, ClosedDay.day == day)
        .scalar_subquery()
    )
    if not is_public_holiday(day):
        return own
    kept_open = exists(
        select(literal(1)).where(
            and_(HolidayKeptOpen.institution_id == institution_id, HolidayKeptOpen.day == day)
        )
    )
    return case((kept_open, own), else_=literal(None, Time))
