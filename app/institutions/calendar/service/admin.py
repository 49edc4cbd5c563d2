"""The admin's calendar: closing the institution's own days (one day or a range, with a
label, the whole day or from a time of day on), opening them again, and keeping a public
holiday open (or closed again) for a year."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.core.values import WEEKDAYS, clean_name
from app.db import write_transaction
from app.institutions.calendar.models import HolidayKeptOpen
from app.institutions.calendar.policies import can_keep_calendar, can_see_calendar
from app.institutions.calendar.service.days import Closure, closures, is_public_holiday
from app.institutions.models import ClosedDay, Institution

# A year and a day: "the whole summer" fits, a typo of the year does not.
MAX_RANGE_DAYS = 366
MAX_LABEL = 200


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed("period_order", field="to")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed("invalid_report_period", field="to", days=MAX_RANGE_DAYS)


def _require_keeper(actor: Actor, institution_id: uuid.UUID) -> None:
    # Not the admin looks exactly like no such institution.
    if not can_keep_calendar(actor, institution_id):
        raise NotFound(field="institutionId")


async def closed_days(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, start: date, end: date
) -> list[Closure]:
    """The institution's closed days between two dates, for its people (labels in the
    reader's language); nobody else learns anything (an empty list)."""
    _check_range(start, end)
    if not can_see_calendar(actor, institution_id):
        return []
    found = await closures(db, [institution_id], start, end, actor.language, part_days=True)
    return sorted(found[institution_id].values(), key=lambda c: c.day)


async def close_days(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    start: date,
    end: date,
    label: str = "",
    closes_at: time | None = None,
) -> list[Closure]:
    """Close the institution's own days from `start` to `end` (e.g. 27–31 December) with a
    label, from `closes_at` on (Grundlovsdag afternoon: 12:00) or the whole day. Days already
    closed take the new label and time: a retry sets the same state again."""
    _check_range(start, end)
    _require_keeper(actor, institution_id)
    label = clean_name(label, "label", MAX_LABEL) if label.strip() else ""
    async with write_transaction(db):
        if closes_at is not None:
            await _check_closes_after_opening(db, institution_id, start, end, closes_at)
        existing = {
            row.day: row
            for row in (
                await db.scalars(
                    select(ClosedDay).where(
                        ClosedDay.institution_id == institution_id,
                        ClosedDay.day.between(start, end),
                    )
                )
            ).all()
        }
        day = start
        while day <= end:
            row = existing.get(day)
            if row is None:
                db.add(
                    ClosedDay(
                        institution_id=institution_id, day=day, reason=label, closes_at=closes_at
                    )
                )
            else:
                row.reason = label
                row.closes_at = closes_at
            day += timedelta(days=1)
    return await closed_days(
        db=db, actor=actor, institution_id=institution_id, start=start, end=end
    )


async def _check_closes_after_opening(
    db: AsyncSession, institution_id: uuid.UUID, start: date, end: date, closes_at: time
) -> None:
    """An early closing at or before the day opens would be a closed day that the day views
    show as open: the admin closes the whole day instead (no `closesAt`)."""
    hours = await db.scalar(
        select(Institution.opening_hours).where(Institution.id == institution_id)
    )
    day = start
    while day <= end:
        span = (hours or {}).get(WEEKDAYS[day.weekday()])
        if span and closes_at <= time.fromisoformat(span[0]):
            raise ValidationFailed("closes_before_opening", field="closesAt", opens=span[0])
        day += timedelta(days=1)


async def reopen_days(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, start: date, end: date
) -> list[Closure]:
    """Remove the institution's own closing days from `start` to `end`; public holidays in
    the range stay closed (keepPublicHolidayOpen opens them)."""
    _check_range(start, end)
    _require_keeper(actor, institution_id)
    async with write_transaction(db):
        await db.execute(
            delete(ClosedDay).where(
                ClosedDay.institution_id == institution_id, ClosedDay.day.between(start, end)
            )
        )
    return await closed_days(
        db=db, actor=actor, institution_id=institution_id, start=start, end=end
    )


async def keep_public_holiday_open(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, day: date, open_: bool
) -> list[Closure]:
    """The admin's choice for one public holiday of one year: open, or closed (the default)."""
    _require_keeper(actor, institution_id)
    if not is_public_holiday(day):
        raise ValidationFailed("not_a_public_holiday", field="day", day=day.isoformat())
    async with write_transaction(db):
        row = await db.scalar(
            select(HolidayKeptOpen).where(
                HolidayKeptOpen.institution_id == institution_id, HolidayKeptOpen.day == day
            )
        )
        if open_ and row is None:
            db.add(HolidayKeptOpen(institution_id=institution_id, day=day))
        elif not open_ and row is not None:
            await db.delete(row)
    return await closed_days(db=db, actor=actor, institution_id=institution_id, start=day, end=day)
