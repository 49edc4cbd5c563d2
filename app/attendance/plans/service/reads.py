"""Reads of the pickup plan: the effective plan of a child over days (a date's override,
else a vacation-survey answer, else the weekly default; on a day the institution closes early
no time of leaving lies after the closing), the batch for a group's day, the change history,
and the companion requests waiting for a guardian's answer."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Generic, Protocol, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.absences.models import Absence
from app.attendance.plans.models import GoHomeAlonePermission, PickupPlan, PickupPlanChange
from app.attendance.plans.policies import can_see_plan_of, custody_children
from app.attendance.service import clock
from app.attendance.service.hours import local_now, opening_span
from app.attendance.surveys.models import VacationAnswer
from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.institutions.calendar.service.days import closures
from app.institutions.models import Child, Institution

MAX_DAYS = 62


@dataclass(frozen=True, slots=True)
class PlanRow:
    """The columns of a plan row that the rules read, for read models that select them
    instead of loading PickupPlan entities."""

    day: date | None
    weekday: int | None
    arrival: time | None
    pickup: time | None
    alone_until: time | None
    leave_mode: str
    pickup_person_id: uuid.UUID | None
    guardian_user_id: uuid.UUID | None
    companion_child_id: uuid.UUID | None
    companion_status: str | None
    note: str


PLAN_ROW_FIELDS = tuple(PlanRow.__dataclass_fields__)


class SurveyAnswer(Protocol):
    @property
    def coming(self) -> bool: ...
    @property
    def arrival(self) -> time | None: ...
    @property
    def pickup(self) -> time | None: ...


E = TypeVar("E", PickupPlan, PlanRow)


def clipped(value: time | None, closes_at: time | None) -> time | None:
    """A time of leaving on a day that closes early: never after the closing (a weekly
    15:00 is 12:00 on Grundlovsdag afternoon)."""
    if value is None or closes_at is None:
        return value
    return min(value, closes_at)


@dataclass(frozen=True)
class DayPlan(Generic[E]):
    """A child's plan for one day. `source`: "override" (a date's entry), "survey" (an answer
    to a vacation survey; `coming` False means vacation), "weekly" (the weekly default) or
    "none". `entry` is the plan row that says how the child leaves (None for "none" and for
    a survey answer without a weekly default). `closes_at`: the day's early closing, if any;
    `pickup` and `alone_until` are then clipped to it, whatever the row says (a weekly default
    is not checked against a date's closing, and a date's plan may predate the closing)."""

    child_id: uuid.UUID
    day: date
    source: str
    coming: bool
    arrival: time | None
    pickup: time | None
    entry: E | None
    closes_at: time | None = None

    @property
    def leave_mode(self) -> str | None:
        return self.entry.leave_mode if self.entry else None

    @property
    def alone_until(self) -> time | None:
        """The latest time to leave alone, as the entry says, clipped to an early closing."""
        return clipped(self.entry.alone_until, self.closes_at) if self.entry else None


def resolve(
    child_id: uuid.UUID,
    day: date,
    entries: Iterable[E],
    answer: SurveyAnswer | None,
    closes_at: time | None = None,
) -> DayPlan[E]:
    """One day's plan from the child's rows for that day (its override and weekday default),
    its pickup clipped to the day's early closing (`closes_at`, None on an ordinary day)."""
    override: E | None = None
    weekly: E | None = None
    for row in entries:
        if row.day == day:
            override = row
        elif row.weekday == day.weekday():
            weekly = row

    def plan(source: str, arrival: time | None, pickup: time | None, entry: E | None) -> DayPlan[E]:
        return DayPlan(
            child_id, day, source, True, arrival, clipped(pickup, closes_at), entry, closes_at
        )

    if override is not None:
        return plan("override", override.arrival, override.pickup, override)
    if answer is not None:
        if not answer.coming:
            return DayPlan(child_id, day, "survey", False, None, None, None, closes_at)
        return plan(
            "survey",
            answer.arrival or (weekly.arrival if weekly else None),
            answer.pickup or (weekly.pickup if weekly else None),
            weekly,
        )
    if weekly is not None:
        return plan("weekly", weekly.arrival, weekly.pickup, weekly)
    return plan("none", None, None, None)


async def day_plans(
    db: AsyncSession,
    *,
    child_ids: Sequence[uuid.UUID],
    day: date,
    closes_at: time | None = None,
) -> dict[uuid.UUID, DayPlan[PickupPlan]]:
    """The plans of many children for one day, in two statements whatever their number (for
    a group's day; `closes_at`: their institution's early closing that day). Children with
    neither plan nor survey answer are left out. No visibility check: the caller passes
    children the actor may see."""
    if not child_ids:
        return {}
    ids = list(child_ids)
    entries = (
        await db.scalars(
            select(PickupPlan).where(
                PickupPlan.child_id.in_(ids),
                or_(PickupPlan.day == day, PickupPlan.weekday == day.weekday()),
            )
        )
    ).all()
    answers = (
        await db.scalars(
            select(VacationAnswer)
            .where(VacationAnswer.child_id.in_(ids), VacationAnswer.day == day)
            .order_by(VacationAnswer.updated_at)
        )
    ).all()
    by_child: dict[uuid.UUID, list[PickupPlan]] = {}
    for row in entries:
        by_child.setdefault(row.child_id, []).append(row)
    answer_of = {answer.child_id: answer for answer in answers}  # the latest answer wins
    result = {}
    for child_id in ids:
        if child_id in by_child or child_id in answer_of:
            result[child_id] = resolve(
                child_id, day, by_child.get(child_id, []), answer_of.get(child_id), closes_at
            )
    return result


async def plans_between(
    db: AsyncSession,
    *,
    child_id: uuid.UUID,
    start: date,
    end: date,
    early: Mapping[date, time] | None = None,
) -> dict[date, DayPlan[PickupPlan]]:
    """The child's plan for each day of [start, end], in two statements whatever the length
    of the period (the weekly default and the period's overrides, then its survey answers),
    clipped to the days its institution closes early (`early`, from `closed_and_early`).
    Days with neither plan nor answer are left out. No visibility check: the caller passes a
    child the actor may see."""
    early = early or {}
    entries = (
        await db.scalars(
            select(PickupPlan).where(
                PickupPlan.child_id == child_id,
                or_(
                    PickupPlan.weekday.is_not(None),
                    PickupPlan.day.between(start, end),
                ),
            )
        )
    ).all()
    answers = {
        a.day: a
        for a in (
            await db.scalars(
                select(VacationAnswer)
                .where(VacationAnswer.child_id == child_id, VacationAnswer.day.between(start, end))
                .order_by(VacationAnswer.updated_at)
            )
        ).all()  # the latest answer of a day wins
    }
    plans = {}
    day = start
    while day <= end:
        plan = resolve(child_id, day, entries, answers.get(day), early.get(day))
        if plan.source != "none":
            plans[day] = plan
        day += timedelta(days=1)
    return plans


async def effective_plan(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, start: date, end: date
) -> list[DayPlan[PickupPlan]]:
    """The child's plan for each day of [start, end] the institution is open and the child
    is neither absent nor outside its enrolment: for staff and the child's guardians."""
    if end < start:
        raise ValidationFailed("period_order", field="end")
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed("plan_range_too_long", field="end", days=MAX_DAYS)
    child = await db.get(Child, child_id)
    if child is None or not can_see_plan_of(actor, child.id, child.institution_id):
        return []
    institution = await db.get(Institution, child.institution_id)
    assert institution is not None
    closed, early = await closed_and_early(db, institution.id, start, end)
    absences = (
        await db.scalars(
            select(Absence).where(
                Absence.child_id == child_id,
                Absence.from_day <= end,
                or_(Absence.until_day.is_(None), Absence.until_day >= start),
            )
        )
    ).all()
    planned = await plans_between(db, child_id=child_id, start=start, end=end, early=early)
    plans = []
    day = start
    while day <= end:
        skip = (
            day in closed
            or opening_span(institution, day.weekday()) is None
            or day < child.active_from
            or (child.active_until is not None and day > child.active_until)
            or any(
                a.from_day <= day and (a.until_day is None or day <= a.until_day) for a in absences
            )
        )
        if not skip:
            plans.append(
                planned.get(day)
                or DayPlan(child_id, day, "none", True, None, None, None, early.get(day))
            )
        day += timedelta(days=1)
    return plans


async def closed_and_early(
    db: AsyncSession, institution_id: uuid.UUID, start: date, end: date
) -> tuple[set[date], dict[date, time]]:
    """The institution's closed dates between two dates (inclusive), and the days it closes
    early with their closing time: one statement."""
    found = (await closures(db, [institution_id], start, end, part_days=True))[institution_id]
    closed = {day for day, closure in found.items() if closure.closes_at is None}
    early = {
        day: closure.closes_at for day, closure in found.items() if closure.closes_at is not None
    }
    return closed, early


async def weekly_defaults(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID
) -> list[PickupPlan]:
    """The child's weekly default, Monday first."""
    child = await db.get(Child, child_id)
    if child is None or not can_see_plan_of(actor, child.id, child.institution_id):
        return []
    rows = await db.scalars(
        select(PickupPlan)
        .where(PickupPlan.child_id == child_id, PickupPlan.weekday.is_not(None))
        .order_by(PickupPlan.weekday)
    )
    return list(rows.all())


async def plan_history(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, day: date
) -> list[PickupPlanChange]:
    """Every change to the plan of that date: its override and its weekday's default."""
    child = await db.get(Child, child_id)
    if child is None or not can_see_plan_of(actor, child.id, child.institution_id):
        return []
    rows = await db.scalars(
        select(PickupPlanChange)
        .where(
            PickupPlanChange.child_id == child_id,
            or_(PickupPlanChange.day == day, PickupPlanChange.weekday == day.weekday()),
        )
        .order_by(PickupPlanChange.created_at, PickupPlanChange.id)
    )
    return list(rows.all())


async def companion_requests(*, db: AsyncSession, actor: Actor) -> list[PickupPlan]:
    """Plans that ask one of the actor's custody children along home, not yet answered."""
    children = custody_children(actor)
    if not children:
        return []
    since = clock.now().date() - timedelta(days=1)  # any zone's today is on or after this
    rows = await db.scalars(
        select(PickupPlan)
        .where(
            PickupPlan.companion_child_id.in_(children),
            PickupPlan.companion_status == "pending",
            or_(PickupPlan.weekday.is_not(None), PickupPlan.day >= since),
        )
        .order_by(PickupPlan.day, PickupPlan.weekday, PickupPlan.id)
    )
    return list(rows.all())


async def go_home_alone_permission(
    *, db: AsyncSession, actor: Actor, child: Child
) -> GoHomeAlonePermission | None:
    if not can_see_plan_of(actor, child.id, child.institution_id):
        return None
    row: GoHomeAlonePermission | None = await db.get(GoHomeAlonePermission, child.id)
    return row


async def today_of(db: AsyncSession, institution_id: uuid.UUID) -> date:
    institution = await db.get(Institution, institution_id)
    assert institution is not None
    return local_now(institution).date()
