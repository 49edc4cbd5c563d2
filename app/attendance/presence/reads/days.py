"""The group's day on the tablet and a guardian's today, as read models: three statements
whatever the number of children (the group or the children's institutions; each child's
day with its absence, plan, the names the plan names and whether the place is closed or
closes early; the stays with who checked in and out), into light rows, never ORM entities.
The children are read through the institutions' visibility scope, the stays through
presence's."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, and_, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.attendance.absences.models import Absence
from app.attendance.absences.reads import AbsenceRow
from app.attendance.pickup.models import PickupPerson
from app.attendance.plans.models import PickupPlan
from app.attendance.plans.policies import child_name_for
from app.attendance.plans.service.reads import PLAN_ROW_FIELDS, PlanRow, resolve
from app.attendance.presence.models import Presence
from app.attendance.presence.policies import visible_presences
from app.attendance.presence.reads.plans import PlanNames, PlanView, is_open, plan_view
from app.attendance.service import clock
from app.attendance.surveys.models import VacationAnswer
from app.core.actor import Actor
from app.core.errors import NotFound
from app.institutions.calendar.service.days import closed_on, closes_early_on
from app.institutions.models import Child, Group, Institution
from app.institutions.policies import visible_children, visible_groups, visible_institutions
from app.institutions.reads import (
    GROUP_COLUMNS,
    GroupRow,
    InstitutionRow,
    child_columns,
    child_of,
    institution_columns,
    institution_of,
)

STATUSES = ("expected", "present", "picked_up", "absent", "not_expected")


class StayLike(Protocol):
    """What a day's status and flags read of a stay (a Presence or a PresenceRow)."""

    @property
    def checked_in_at(self) -> datetime: ...
    @property
    def checked_out_at(self) -> datetime | None: ...
    @property
    def picked_up_by_kind(self) -> str | None: ...
    @property
    def picked_up_by_user(self) -> uuid.UUID | None: ...
    @property
    def picked_up_by_person(self) -> uuid.UUID | None: ...


class AbsenceLike(Protocol):
    @property
    def note(self) -> str: ...


@dataclass(frozen=True, slots=True)
class PresenceRow:
    """What the Presence type shows of a stay, with the names of who checked in and out."""

    id: uuid.UUID
    institution_id: uuid.UUID
    child_id: uuid.UUID
    checked_in_at: datetime
    checked_out_at: datetime | None
    checkout_estimated: bool
    checked_in_by: uuid.UUID
    checked_out_by: uuid.UUID | None
    picked_up_by_kind: str | None
    picked_up_by_user: uuid.UUID | None
    picked_up_by_person: uuid.UUID | None
    picked_up_by_name: str | None
    override_reason: str | None
    checked_in_by_name: str
    checked_out_by_name: str | None


@dataclass(frozen=True, slots=True)
class _Answer:
    coming: bool
    arrival: time | None
    pickup: time | None


@dataclass
class ChildDay:
    child: Any  # a Child or a ChildRow: what the Child type shows
    day: date
    status: str
    plan: PlanView
    stays: Sequence[Any] = field(default_factory=list)  # Presence or PresenceRow
    absence: Any = None  # Absence or AbsenceRow
    not_arrived: bool = False
    overdue: bool = False
    unplanned_pickup: bool = False
    # The time the institution closes that day when it closes early; None on other days.
    closes_at: time | None = None

    @property
    def arrived_at(self) -> datetime | None:
        return self.stays[0].checked_in_at if self.stays else None

    @property
    def note(self) -> str | None:
        if self.absence is not None and self.absence.note:
            return str(self.absence.note)
        return self.plan.note


@dataclass
class GroupDay:
    group: Any  # a Group or a GroupRow
    day: date
    children: list[ChildDay]
    # The time the institution closes that day when it closes early; None on other days.
    closes_at: time | None = None

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(c.status for c in self.children)
        return {status: counted.get(status, 0) for status in STATUSES}


def bounds(timezone: str, day: date) -> tuple[datetime, datetime]:
    """The day in the institution's zone, as [start, end) instants."""
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))
    return start, start + timedelta(days=1)


def child_day_of(
    child: Any,
    day: date,
    plan: PlanView,
    stays: Sequence[StayLike],
    absence: AbsenceLike | None,
    timezone: str,
    now: datetime,
    closes_at: time | None = None,
) -> ChildDay:
    """The day's status and flags from its stays, absence and plan (its times already clipped
    to the day's early closing, `closes_at`)."""
    local_now = now.astimezone(ZoneInfo(timezone))
    today = local_now.date() == day
    if stays:
        status = "present" if stays[-1].checked_out_at is None else "picked_up"
    elif absence is not None:
        status = "absent"
    else:
        status = "expected" if plan.expected else "not_expected"
    result = ChildDay(
        child=child,
        day=day,
        status=status,
        plan=plan,
        stays=stays,
        absence=absence,
        closes_at=closes_at,
    )
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


def active_on(day: date) -> list[ColumnElement[bool]]:
    return [
        Child.active_from <= day,
        or_(Child.active_until.is_(None), Child.active_until >= day),
    ]


# The aliases of the day's statements, made once: an alias made per request adapts every column
# it is asked for again (SQLAlchemy memoizes that per alias object), which cost a group's day
# ~25 ms of CPU per request. Each is used in one place of one statement, never nested in itself.
_OVERRIDE = aliased(PickupPlan, name="override_plan")
_WEEKLY = aliased(PickupPlan, name="weekly_plan")
_ANSWER = aliased(VacationAnswer, name="day_answer")
_ANSWERED = aliased(VacationAnswer, name="latest_answer")
_COMPANION = aliased(Child, name="companion")
_GUARDIAN = aliased(User, name="planned_guardian")
_OTHER_ABSENCE = aliased(Absence, name="chosen_absence")
_CHECKED_IN_BY = aliased(User, name="checked_in_by")
_CHECKED_OUT_BY = aliased(User, name="checked_out_by")


def children_statement(actor: Actor, which: list[ColumnElement[bool]], day: date) -> Any:
    """Each child's day: the child, its absence, its plan (the date's and the weekday's rows,
    the latest survey answer), the names its plan names, whether the place is closed and when
    it closes on a day it closes early."""
    override, weekly = _OVERRIDE, _WEEKLY
    answer, companion, guardian = _ANSWER, _COMPANION, _GUARDIAN
    other = _OTHER_ABSENCE
    chosen_absence = (
        select(other.id)
        .where(
            other.child_id == Child.id,
            other.from_day <= day,
            or_(other.until_day.is_(None), other.until_day >= day),
        )
        .order_by(other.from_day.desc(), other.id.desc())
        .limit(1)
        .correlate(Child)
        .scalar_subquery()
    )
    answered = _ANSWERED
    latest_answer = (
        select(answered.id)
        .where(answered.child_id == Child.id, answered.day == day)
        .order_by(answered.updated_at.desc(), answered.id.desc())
        .limit(1)
        .correlate(Child)
        .scalar_subquery()
    )

    def planned(column: str) -> Any:
        """The column of the plan row that says how the child leaves: the date's, else the
        weekday's (plans.resolve)."""
        return case(
            (override.id.is_not(None), getattr(override, column)), else_=getattr(weekly, column)
        )

    closed = closed_on(day, Child.institution_id)
    return (
        select(
            *child_columns(),
            Absence.id.label("absence_id"),
            Absence.kind.label("absence_kind"),
            Absence.from_day.label("absence_from_day"),
            Absence.until_day.label("absence_until_day"),
            Absence.note.label("absence_note"),
            override.id.label("override_id"),
            *(getattr(override, key).label(f"override_{key}") for key in PLAN_ROW_FIELDS),
            weekly.id.label("weekly_id"),
            *(getattr(weekly, key).label(f"weekly_{key}") for key in PLAN_ROW_FIELDS),
            answer.id.label("answer_id"),
            answer.coming.label("answer_coming"),
            answer.arrival.label("answer_arrival"),
            answer.pickup.label("answer_pickup"),
            PickupPerson.name.label("person_name"),
            guardian.name.label("guardian_name"),
            companion.id.label("companion_id"),
            companion.first_name.label("companion_first_name"),
            companion.last_name.label("companion_last_name"),
            companion.institution_id.label("companion_institution_id"),
            companion.is_protected.label("companion_is_protected"),
            closed.label("closed"),
            closes_early_on(day, Child.institution_id).label("closes_at"),
        )
        .select_from(Child)
        .outerjoin(Absence, Absence.id == chosen_absence)
        .outerjoin(override, and_(override.child_id == Child.id, override.day == day))
        .outerjoin(weekly, and_(weekly.child_id == Child.id, weekly.weekday == day.weekday()))
        .outerjoin(answer, answer.id == latest_answer)
        .outerjoin(PickupPerson, PickupPerson.id == planned("pickup_person_id"))
        .outerjoin(guardian, guardian.id == planned("guardian_user_id"))
        .outerjoin(
            companion,
            and_(
                companion.id == planned("companion_child_id"),
                companion.institution_id.in_(actor.institution_ids),
            ),
        )
        .where(*which, visible_children(actor))
    )


def _plan_of(actor: Actor, row: Row[Any], day: date, institution: InstitutionRow) -> PlanView:
    entries = [
        PlanRow(**{key: getattr(row, f"{prefix}_{key}") for key in PLAN_ROW_FIELDS})
        for prefix in ("override", "weekly")
        if getattr(row, f"{prefix}_id") is not None
    ]
    answer = (
        _Answer(row.answer_coming, row.answer_arrival, row.answer_pickup)
        if row.answer_id is not None
        else None
    )
    plan = resolve(row.child_id, day, entries, answer, row.closes_at) if entries or answer else None
    names = PlanNames()
    if plan is not None and plan.entry is not None:
        entry = plan.entry
        if entry.pickup_person_id is not None and row.person_name is not None:
            names.people[entry.pickup_person_id] = row.person_name
        if entry.guardian_user_id is not None and row.guardian_name is not None:
            names.people[entry.guardian_user_id] = row.guardian_name
        if row.companion_id is not None:
            names.children[row.companion_id] = child_name_for(
                actor,
                child_id=row.companion_id,
                institution_id=row.companion_institution_id,
                first_name=row.companion_first_name,
                last_name=row.companion_last_name,
                is_protected=row.companion_is_protected,
            )
    closed = {day} if row.closed else set()
    return plan_view(plan, open_=is_open(institution, day, closed), names=names)


def _absence_of(row: Row[Any]) -> AbsenceRow | None:
    if row.absence_id is None:
        return None
    return AbsenceRow(
        row.absence_id,
        row.absence_kind,
        row.absence_from_day,
        row.absence_until_day,
        row.absence_note,
    )


async def _stays(
    db: AsyncSession,
    actor: Actor,
    children: Any,
    spans: Sequence[tuple[datetime, datetime]],
) -> list[PresenceRow]:
    """The stays of the children (a select of their IDs) that overlap the spans, oldest
    first, with the names of who checked in and out."""
    checked_in_by, checked_out_by = _CHECKED_IN_BY, _CHECKED_OUT_BY
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    rows = await db.execute(
        select(
            Presence.id,
            Presence.institution_id,
            Presence.child_id,
            Presence.checked_in_at,
            Presence.checked_out_at,
            Presence.checkout_estimated,
            Presence.checked_in_by,
            Presence.checked_out_by,
            Presence.picked_up_by_kind,
            Presence.picked_up_by_user,
            Presence.picked_up_by_person,
            Presence.picked_up_by_name,
            Presence.override_reason,
            checked_in_by.name,
            checked_out_by.name,
        )
        .select_from(Presence)
        .outerjoin(checked_in_by, checked_in_by.id == Presence.checked_in_by)
        .outerjoin(checked_out_by, checked_out_by.id == Presence.checked_out_by)
        .where(
            Presence.child_id.in_(children),
            visible_presences(actor),
            Presence.checked_in_at < end,
            or_(Presence.checked_out_at.is_(None), Presence.checked_out_at > start),
        )
        .order_by(Presence.checked_in_at, Presence.id)
    )
    return [
        PresenceRow(
            id=row[0],
            institution_id=row[1],
            child_id=row[2],
            checked_in_at=row[3],
            checked_out_at=row[4],
            checkout_estimated=row[5],
            checked_in_by=row[6],
            checked_out_by=row[7],
            picked_up_by_kind=row[8],
            picked_up_by_user=row[9],
            picked_up_by_person=row[10],
            picked_up_by_name=row[11],
            override_reason=row[12],
            checked_in_by_name=row[13] or "",
            checked_out_by_name=(row[14] or "") if row[7] is not None else None,
        )
        for row in rows.all()
    ]


async def _days(
    db: AsyncSession,
    actor: Actor,
    which: list[ColumnElement[bool]],
    order: Sequence[Any],
    day: date,
    institutions: dict[uuid.UUID, InstitutionRow],
    now: datetime,
    *,
    shown: frozenset[uuid.UUID] = frozenset(),
) -> list[ChildDay]:
    """The day of the children `which` selects (in `order`): two statements. A child of an
    institution in `shown` carries it (the guardian's app shows it; the actor sees it)."""
    rows = (await db.execute(children_statement(actor, which, day).order_by(*order))).all()
    if not rows:
        return []
    spans = {i: bounds(institution.timezone, day) for i, institution in institutions.items()}
    ids = select(Child.id).where(*which, visible_children(actor))
    stays_of: dict[uuid.UUID, list[PresenceRow]] = defaultdict(list)
    for stay in await _stays(db, actor, ids, list(spans.values())):
        start, end = spans[stay.institution_id]
        if stay.checked_in_at < end and (
            stay.checked_out_at is None or stay.checked_out_at > start
        ):
            stays_of[stay.child_id].append(stay)
    result = []
    for row in rows:
        institution = institutions[row.child_institution_id]
        result.append(
            child_day_of(
                child_of(row, institution if institution.id in shown else None),
                day,
                _plan_of(actor, row, day, institution),
                stays_of.get(row.child_id, []),
                _absence_of(row),
                institution.timezone,
                now,
                row.closes_at,
            )
        )
    return result


async def group_day(
    *,
    db: AsyncSession,
    actor: Actor,
    group_id: uuid.UUID,
    day: date | None = None,
    now: datetime | None = None,
) -> GroupDay:
    """Every child of the group on the day (default: today there), with status, times, the
    note and flags, and when it closes on a day it closes early (the institution's staff):
    three statements."""
    now = now or clock.now()
    # When the day is today there, which of three dates it is (every zone's today is UTC's
    # date or one either side) is known once the institution's zone is read: the first
    # statement reads the early closing of each.
    utc_today = now.astimezone(UTC).date()
    candidates = [day] if day else [utc_today + timedelta(days=n) for n in (-1, 0, 1)]
    closing = [
        closes_early_on(d, Group.institution_id).label(f"closes_{n}")
        for n, d in enumerate(candidates)
    ]
    row = (
        await db.execute(
            select(
                *(c.label(f"group_{c.key}") for c in GROUP_COLUMNS),
                *institution_columns(),
                *closing,
            )
            .select_from(Group)
            .join(Institution, Institution.id == Group.institution_id)
            .where(Group.id == group_id, visible_groups(actor))
        )
    ).first()
    if row is None or not actor.works_in(row.group_institution_id) or actor.is_bare_device:
        raise NotFound(field="groupId")
    group = GroupRow(row.group_id, row.group_institution_id, row.group_name, row.group_is_active)
    institution = institution_of(row)
    day = day or now.astimezone(ZoneInfo(institution.timezone)).date()
    closes_at = getattr(row, f"closes_{candidates.index(day)}")
    children = await _days(
        db,
        actor,
        [Child.group_id == group.id, *active_on(day)],
        (Child.first_name, Child.last_name, Child.id),
        day,
        {institution.id: institution},
        now,
    )
    return GroupDay(group=group, day=day, children=children, closes_at=closes_at)


async def my_children_today(
    *, db: AsyncSession, actor: Actor, now: datetime | None = None
) -> list[ChildDay]:
    """Today (in each child's institution) for each of the guardian's children: three
    statements (four when the institutions' days differ)."""
    now = now or clock.now()
    if not actor.children:
        return []
    places = (
        await db.execute(
            select(
                Child.id.label("child_id"),
                Child.institution_id.label("child_institution_id"),
                *institution_columns(),
            )
            .select_from(Child)
            .outerjoin(
                Institution,
                and_(Institution.id == Child.institution_id, visible_institutions(actor)),
            )
            .where(Child.id.in_(actor.guardian_of))
        )
    ).all()
    institutions = {
        row.child_institution_id: institution_of(row)
        if row.institution_id is not None
        else InstitutionRow(row.child_institution_id, "", "", "Europe/Copenhagen", {}, {})
        for row in places
    }
    by_day: dict[date, list[uuid.UUID]] = defaultdict(list)
    for row in places:
        zone = ZoneInfo(institutions[row.child_institution_id].timezone)
        by_day[now.astimezone(zone).date()].append(row.child_id)
    result: list[ChildDay] = []
    for day, ids in by_day.items():
        result += await _days(
            db,
            actor,
            [Child.id.in_(ids)],
            (Child.first_name, Child.id),
            day,
            institutions,
            now,
            shown=frozenset(row.institution_id for row in places if row.institution_id),
        )
    if len(by_day) > 1:
        order = {c.child.id: n for n, c in enumerate(sorted(result, key=_by_name))}
        result.sort(key=lambda d: order[d.child.id])
    return result


def _by_name(day: ChildDay) -> tuple[str, str]:
    return (day.child.first_name, str(day.child.id))
