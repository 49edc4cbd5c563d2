"""Read models of presence: the group's day on the tablet, the guardian's today, plan and
history, and the admins' report. Each is a fixed number of statements, whatever the number
of children."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.absences.models import Absence
from app.attendance.plans.service.reads import day_plans as planned_days
from app.attendance.plans.service.reads import plans_between
from app.attendance.presence.models import Presence
from app.attendance.presence.policies import visible_presences
from app.attendance.presence.service.view_plans import PlanView, is_open, plan_names, plan_view
from app.attendance.service import clock
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.institutions.models import Child, ClosedDay, Group, Institution

STATUSES = ("expected", "present", "picked_up", "absent", "not_expected")
MAX_REPORT_DAYS = 93
MAX_HISTORY_DAYS = 93


@dataclass
class ChildDay:
    child: Child
    day: date
    status: str
    plan: PlanView
    stays: list[Presence] = field(default_factory=list)
    absence: Absence | None = None
    not_arrived: bool = False
    overdue: bool = False
    unplanned_pickup: bool = False

    @property
    def arrived_at(self) -> datetime | None:
        return self.stays[0].checked_in_at if self.stays else None

    @property
    def last_stay(self) -> Presence | None:
        return self.stays[-1] if self.stays else None

    @property
    def note(self) -> str | None:
        if self.absence is not None and self.absence.note:
            return self.absence.note
        return self.plan.note


@dataclass
class GroupDay:
    group: Group
    day: date
    children: list[ChildDay]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(c.status for c in self.children)
        return {status: counted.get(status, 0) for status in STATUSES}


async def _plans(
    db: AsyncSession,
    actor: Actor,
    children: Sequence[Child],
    day: date,
    institutions: dict[uuid.UUID, Institution],
    closed: dict[uuid.UUID, set[date]],
) -> dict[uuid.UUID, PlanView]:
    """Each child's plan for the day: two statements for the plans, one for the names they
    refer to, whatever the number of children."""
    plans = await planned_days(db, child_ids=[c.id for c in children], day=day)
    names = await plan_names(db, actor, plans.values())
    return {
        child.id: plan_view(
            plans.get(child.id),
            open_=is_open(institutions[child.institution_id], day, closed[child.institution_id]),
            names=names,
        )
        for child in children
    }


def _bounds(institution: Institution, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(institution.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, start + timedelta(days=1)


async def _closed_days(
    db: AsyncSession, institution_ids: Sequence[uuid.UUID], start: date, end: date
) -> dict[uuid.UUID, set[date]]:
    closed: dict[uuid.UUID, set[date]] = {i: set() for i in institution_ids}
    rows = await db.execute(
        select(ClosedDay.institution_id, ClosedDay.day).where(
            ClosedDay.institution_id.in_(institution_ids),
            ClosedDay.day >= start,
            ClosedDay.day <= end,
        )
    )
    for row in rows:
        closed[row.institution_id].add(row.day)
    return closed


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


def _child_day(
    child: Child,
    day: date,
    plan: PlanView,
    stays: list[Presence],
    absence: Absence | None,
    institution: Institution,
    now: datetime,
) -> ChildDay:
    zone = ZoneInfo(institution.timezone)
    local_now = now.astimezone(zone)
    today = local_now.date() == day
    if stays:
        status = "present" if stays[-1].checked_out_at is None else "picked_up"
    elif absence is not None:
        status = "absent"
    else:
        status = "expected" if plan.expected else "not_expected"
    result = ChildDay(child=child, day=day, status=status, plan=plan, stays=stays, absence=absence)
    if today and status == "expected" and plan.arrives_at is not None:
        result.not_arrived = local_now.time() > plan.arrives_at
    if today and status == "present" and plan.leave_by is not None:
        result.overdue = local_now.time() > plan.leave_by
    last = stays[-1] if stays else None
    if last is not None and last.picked_up_by_kind is not None:
        named = plan.pickup_person_id or plan.pickup_user_id
        result.unplanned_pickup = last.picked_up_by_kind == "other" or (
            named is not None and named not in (last.picked_up_by_person, last.picked_up_by_user)
        )
    return result


async def _days_of(
    db: AsyncSession,
    actor: Actor,
    children: Sequence[Child],
    day: date,
    institutions: dict[uuid.UUID, Institution],
    now: datetime,
) -> list[ChildDay]:
    """Each child's day: three statements (closed days, absences, stays) plus the plans'."""
    if not children:
        return []
    ids = [c.id for c in children]
    closed = await _closed_days(db, list(institutions), day, day)
    absences = {a.child_id: a for a in await _absences(db, ids, day, day)}
    spans = [_bounds(i, day) for i in institutions.values()]
    stays_by_child: dict[uuid.UUID, list[Presence]] = defaultdict(list)
    for stay in await _stays(db, actor, ids, min(s for s, _ in spans), max(e for _, e in spans)):
        start, end = _bounds(institutions[stay.institution_id], day)
        if stay.checked_in_at < end and (
            stay.checked_out_at is None or stay.checked_out_at > start
        ):
            stays_by_child[stay.child_id].append(stay)
    plans = await _plans(db, actor, children, day, institutions, closed)
    return [
        _child_day(
            child,
            day,
            plans[child.id],
            stays_by_child.get(child.id, []),
            absences.get(child.id),
            institutions[child.institution_id],
            now,
        )
        for child in children
    ]


def _active_on(day: date) -> list[object]:
    return [
        Child.active_from <= day,
        or_(Child.active_until.is_(None), Child.active_until >= day),
    ]


async def group_day(
    *, db: AsyncSession, actor: Actor, group_id: uuid.UUID, day: date, now: datetime | None = None
) -> GroupDay:
    """Every child of the group on the day, with status, times, the note and flags (staff)."""
    row = (
        await db.execute(
            select(Group, Institution)
            .join(Institution, Institution.id == Group.institution_id)
            .where(Group.id == group_id)
        )
    ).first()
    if row is None or not actor.works_in(row.Group.institution_id) or actor.is_bare_device:
        raise NotFound(field="groupId")
    group, institution = row.Group, row.Institution
    children = (
        await db.scalars(
            select(Child)
            .where(Child.group_id == group.id, *_active_on(day))  # type: ignore[arg-type]
            .order_by(Child.first_name, Child.last_name, Child.id)
        )
    ).all()
    days = await _days_of(
        db, actor, children, day, {institution.id: institution}, now or clock.now()
    )
    return GroupDay(group=group, day=day, children=days)


async def my_children_today(
    *, db: AsyncSession, actor: Actor, now: datetime | None = None
) -> list[ChildDay]:
    """Today (in each child's institution) for each of the guardian's children."""
    now = now or clock.now()
    if not actor.children:
        return []
    children = (
        await db.scalars(
            select(Child)
            .where(Child.id.in_(actor.guardian_of))
            .order_by(Child.first_name, Child.id)
        )
    ).all()
    institutions = {
        i.id: i
        for i in (
            await db.scalars(
                select(Institution).where(Institution.id.in_({c.institution_id for c in children}))
            )
        ).all()
    }
    result: list[ChildDay] = []
    by_day: dict[date, list[Child]] = defaultdict(list)
    for child in children:
        by_day[now.astimezone(ZoneInfo(institutions[child.institution_id].timezone)).date()].append(
            child
        )
    for day, group in by_day.items():
        result += await _days_of(db, actor, group, day, institutions, now)
    order = {c.id: n for n, c in enumerate(children)}
    return sorted(result, key=lambda d: order[d.child.id])


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
    closed = (await _closed_days(db, [institution.id], start, end))[institution.id]
    absences = await _absences(db, [child.id], start, end)
    planned = await plans_between(db, child_id=child.id, start=start, end=end)
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
        result.append(_child_day(child, day, plan, [], absence, institution, now))
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


async def attendance_report(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, start: date, end: date
) -> list[ReportRow]:
    """Per group and day of the period: children present, absent by kind, minutes present
    (admins). Three statements for any period up to 93 days."""
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
                )
            )
            day += timedelta(days=1)
    return rows
