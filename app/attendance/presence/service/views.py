"""Reads of presence beside the hot read models (app.attendance.presence.reads): a child's
coming days, its stays, and the admins' report. Each is a fixed number of statements,
whatever the number of children or days."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.absences.models import Absence
from app.attendance.plans.service.reads import closed_and_early, plans_between
from app.attendance.presence.models import Presence
from app.attendance.presence.policies import visible_presences
from app.attendance.presence.reads.days import ChildDay, child_day_of
from app.attendance.presence.reads.plans import is_open, plan_names, plan_view
from app.attendance.service import clock
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.institutions.calendar.service.days import closures
from app.institutions.models import Child, Group, Institution

MAX_REPORT_DAYS = 93
MAX_HISTORY_DAYS = 93


def _bounds(institution: Institution, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(institution.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, start + timedelta(days=1)


async def _closed_days(
    db: AsyncSession, institution_ids: Sequence[uuid.UUID], start: date, end: date
) -> dict[uuid.UUID, set[date]]:
    found = await closures(db, institution_ids, start, end)
    return {institution_id: set(days) for institution_id, days in found.items()}


async def _absences(
    db: AsyncSession, child_ids: Sequence[uuid.UUID], start: date, end: date
) -> list[Absence]:
    rows = await db.scalars(
        select(Absence).where(
            Absence.child_id.in_(child_ids),
            Absence.from_day <= end,
            or_(Absence.until_day.is_(None), Absence.until_day >= start),
        )
    )
    return list(rows.all())


async def _stays(
    db: AsyncSession, actor: Actor, child_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> list[Presence]:
    rows = await db.scalars(
        select(Presence)
        .where(
            Presence.child_id.in_(child_ids),
            visible_presences(actor),
            Presence.checked_in_at < end,
            or_(Presence.checked_out_at.is_(None), Presence.checked_out_at > start),
        )
        .order_by(Presence.checked_in_at, Presence.id)
    )
    return list(rows.all())


async def _own_child(
    db: AsyncSession, actor: Actor, child_id: uuid.UUID
) -> tuple[Child, Institution]:
    row = (
        await db.execute(
            select(Child, Institution)
            .join(Institution, Institution.id == Child.institution_id)
            .where(Child.id == child_id)
        )
    ).first()
    if row is None or not (
        child_id in actor.children
        or (actor.works_in(row.Child.institution_id) and not actor.is_bare_device)
    ):
        raise NotFound(field="childId")
    return row.Child, row.Institution


async def child_plan(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, start: date, days: int = 14
) -> list[ChildDay]:
    """The coming days of a child: planned, absent or not expected (its guardians, staff).
    Six statements at most for any number of days: the child, closed days, absences, the
    plans (two) and the names they refer to (one)."""
    if not 1 <= days <= 31:
        raise ValidationFailed("invalid_report_period", field="days", days=31)
    child, institution = await _own_child(db, actor, child_id)
    end = start + timedelta(days=days - 1)
    closed, early = await closed_and_early(db, institution.id, start, end)
    absences = await _absences(db, [child.id], start, end)
    planned = await plans_between(db, child_id=child.id, start=start, end=end, early=early)
    names = await plan_names(db, actor, planned.values())
    now = clock.now()
    result = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        plan = plan_view(planned.get(day), open_=is_open(institution, day, closed), names=names)
        absence = next(
            (
                a
                for a in absences
                if a.from_day <= day and (a.until_day is None or a.until_day >= day)
            ),
            None,
        )
        result.append(
            child_day_of(child, day, plan, [], absence, institution.timezone, now, early.get(day))
        )
    return result


async def presence_history(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, start: date, end: date
) -> list[Presence]:
    """The child's stays between two dates (inclusive), oldest first (its guardians, staff)."""
    if end < start:
        raise ValidationFailed("period_order", field="end")
    if (end - start).days >= MAX_HISTORY_DAYS:
        raise ValidationFailed("invalid_report_period", field="end", days=MAX_HISTORY_DAYS)
    child, institution = await _own_child(db, actor, child_id)
    first, _ = _bounds(institution, start)
    _, last = _bounds(institution, end)
    return await _stays(db, actor, [child.id], first, last)


@dataclass(frozen=True)
class ReportRow:
    group_id: uuid.UUID | None
    group_name: str
    day: date
    present: int
    sick: int
    vacation: int
    other_absence: int
    minutes_present: int
    # False on a weekday without opening hours, a public holiday kept closed and the
    # institution's own closing days: those are not open days of the period.
    open_day: bool = True


async def attendance_report(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, start: date, end: date
) -> list[ReportRow]:
    """Per group and day of the period: children present, absent by kind, minutes present
    (admins), and whether the day was an open day. Four statements for any period up to 93
    days."""
    if not actor.is_admin(institution_id) or actor.is_bare_device:
        raise NotFound(field="institutionId")
    if end < start:
        raise ValidationFailed("period_order", field="end")
    if (end - start).days >= MAX_REPORT_DAYS:
        raise ValidationFailed("invalid_report_period", field="end", days=MAX_REPORT_DAYS)
    institution = await db.get(Institution, institution_id)
    if institution is None:
        raise NotFound(field="institutionId")
    groups = {
        g.id: g.name
        for g in (
            await db.scalars(
                select(Group).where(Group.institution_id == institution_id).order_by(Group.name)
            )
        ).all()
    }
    first, _ = _bounds(institution, start)
    _, last = _bounds(institution, end)
    stays = (
        await db.scalars(
            select(Presence).where(
                Presence.institution_id == institution_id,
                Presence.checked_in_at < last,
                or_(Presence.checked_out_at.is_(None), Presence.checked_out_at > first),
            )
        )
    ).all()
    absence_rows = (
        await db.execute(
            select(Absence, Child.group_id)
            .join(Child, Child.id == Absence.child_id)
            .where(
                Absence.institution_id == institution_id,
                Absence.from_day <= end,
                or_(Absence.until_day.is_(None), Absence.until_day >= start),
            )
        )
    ).all()
    closed = (await _closed_days(db, [institution.id], start, end))[institution.id]
    zone = ZoneInfo(institution.timezone)
    now = clock.now()
    present: dict[tuple[uuid.UUID | None, date], set[uuid.UUID]] = defaultdict(set)
    minutes: Counter[tuple[uuid.UUID | None, date]] = Counter()
    for stay in stays:
        out = stay.checked_out_at or now
        day = stay.checked_in_at.astimezone(zone).date()
        while day <= end:
            day_start, day_end = _bounds(institution, day)
            overlap = min(out, day_end) - max(stay.checked_in_at, day_start)
            if overlap.total_seconds() > 0 and day >= start:
                present[(stay.group_id, day)].add(stay.child_id)
                minutes[(stay.group_id, day)] += int(overlap.total_seconds() // 60)
            if out <= day_end:
                break
            day += timedelta(days=1)
    absent: Counter[tuple[uuid.UUID | None, date, str]] = Counter()
    for absence, group_id in absence_rows:
        day = max(absence.from_day, start)
        until = min(absence.until_day or end, end)
        while day <= until:
            absent[(group_id, day, absence.kind)] += 1
            day += timedelta(days=1)
    rows = []
    for group_id, name in groups.items():
        day = start
        while day <= end:
            rows.append(
                ReportRow(
                    group_id=group_id,
                    group_name=name,
                    day=day,
                    present=len(present.get((group_id, day), ())),
                    sick=absent[(group_id, day, "sick")],
                    vacation=absent[(group_id, day, "vacation")],
                    other_absence=absent[(group_id, day, "other")],
                    minutes_present=minutes[(group_id, day)],
                    open_day=is_open(institution, day, closed),
                )
            )
            day += timedelta(days=1)
    return rows
