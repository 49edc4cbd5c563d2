"""Use cases of the pickup plan: a weekly default per weekday with date overrides, how the
child leaves, the companion's answer, the go-home-alone permission, "sent home" by staff,
and every change kept with who and when. Reads live in plan_reads.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.actor import Actor
from app.attendance import clock, plan_notices
from app.attendance.live import DayChanged
from app.attendance.models import (
    GoHomeAlonePermission,
    PickupPerson,
    PickupPlan,
    PickupPlanChange,
)
from app.attendance.policies import can_manage_pickup, can_plan_for, custody_children
from app.db import new_id, write_transaction
from app.errors import NotFound, ValidationFailed
from app.institutions.models import Child, ClosedDay, GuardianLink, Institution
from app.institutions.service import WEEKDAYS, clean_name
from app.institutions.settings import settings_of

# Modes a guardian or staff member plans; "sent_home" only comes from send_child_home.
PLANNED_MODES = ("guardian", "pickup_person", "alone", "with_child")
MAX_NOTE = 1000


class DayInPast(ValidationFailed):
    code = "DAY_IN_PAST"


class DayClosed(ValidationFailed):
    code = "DAY_CLOSED"


class OutsideOpeningHours(ValidationFailed):
    code = "OUTSIDE_OPENING_HOURS"


class AfterCutoff(ValidationFailed):
    code = "AFTER_CUTOFF"


class NotAPickupPerson(ValidationFailed):
    code = "NOT_A_PICKUP_PERSON"


class NotAllowedAlone(ValidationFailed):
    code = "NOT_ALLOWED_ALONE"


# --- time in the institution's zone ----------------------------------------------------------


def local_now(institution: Institution) -> datetime:
    return clock.now().astimezone(ZoneInfo(institution.timezone))


def opening_span(institution: Institution, weekday: int) -> tuple[time, time] | None:
    """(opens, closes) on a weekday (0 = Monday), None when closed that weekday."""
    span = (institution.opening_hours or {}).get(WEEKDAYS[weekday])
    if not span:
        return None
    return time.fromisoformat(span[0]), time.fromisoformat(span[1])


def cutoff_minutes(institution: Institution) -> int:
    """The institution setting: today's plan changes until this long before the pickup."""
    return settings_of(institution).pickup_change_cutoff_minutes


async def open_span_on(
    db: AsyncSession, institution: Institution, day: date, *, field: str
) -> tuple[time, time]:
    """The opening hours of a day; a closed weekday or closed day is a DayClosed error."""
    span = opening_span(institution, day.weekday())
    closed = await db.scalar(
        select(ClosedDay.id).where(ClosedDay.institution_id == institution.id, ClosedDay.day == day)
    )
    if span is None or closed is not None:
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


# --- writes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanInput:
    """One plan entry: either a date (`day`) or a weekly default (`weekday`, 0 = Monday)."""

    leave_mode: str
    day: date | None = None
    weekday: int | None = None
    arrival: time | None = None
    pickup: time | None = None
    alone_until: time | None = None
    pickup_person_id: uuid.UUID | None = None
    guardian_link_id: uuid.UUID | None = None
    companion_child_id: uuid.UUID | None = None
    note: str = ""


@dataclass
class _Place:
    child: Child
    institution: Institution
    now: datetime
    is_staff: bool

    @property
    def today(self) -> date:
        return self.now.date()


async def _place(
    db: AsyncSession, actor: Actor, child_id: uuid.UUID, *, staff_only: bool = False
) -> _Place:
    child = await db.get(Child, child_id)
    allowed = child is not None and (
        actor.works_in(child.institution_id)
        if staff_only
        else can_plan_for(actor, child.id, child.institution_id)
    )
    if child is None or not allowed:
        raise NotFound(field="childId")
    institution = await db.get(Institution, child.institution_id)
    assert institution is not None
    return _Place(child, institution, local_now(institution), actor.works_in(child.institution_id))


async def _today_rows(db: AsyncSession, place: _Place) -> list[PickupPlan]:
    """Today's override and today's weekday default, the plan a cut-off protects."""
    rows = await db.scalars(
        select(PickupPlan).where(
            PickupPlan.child_id == place.child.id,
            or_(PickupPlan.day == place.today, PickupPlan.weekday == place.today.weekday()),
        )
    )
    return list(rows.all())


async def _applies_today(
    db: AsyncSession, place: _Place, *, day: date | None, weekday: int | None
) -> bool:
    """Whether a date's entry or a weekly default is what today's plan says (a default only
    while today has no override): a change to it changes the child's day on the tablets."""
    if day is not None:
        return day == place.today
    return weekday == place.today.weekday() and not any(
        r.day is not None for r in await _today_rows(db, place)
    )


def _changed_today(place: _Place, kind: str = "plan", *, guardians: bool = False) -> DayChanged:
    return DayChanged(place.child.id, place.child.group_id, kind, guardians=guardians)


async def _cutoff_passed(db: AsyncSession, place: _Place, new_pickup: time | None) -> bool:
    """Past the cut-off before today's pickup: the earlier of the planned and the new time
    (closing time when neither is known)."""
    rows = await _today_rows(db, place)
    current = next((r for r in rows if r.day is not None), None) or next(iter(rows), None)
    span = opening_span(place.institution, place.today.weekday())
    times = [t for t in (current.pickup if current else None, new_pickup) if t is not None]
    if not times:
        if span is None:
            return False
        times = [span[1]]
    deadline = datetime.combine(place.today, min(times), place.now.tzinfo) - timedelta(
        minutes=cutoff_minutes(place.institution)
    )
    return place.now > deadline


async def _guard_today(
    db: AsyncSession, place: _Place, *, affects_today: bool, new_pickup: time | None
) -> bool:
    """Guardians may change today's plan until the cut-off; staff past it, logged as such.
    Returns whether this change is after the cut-off."""
    if not affects_today or not await _cutoff_passed(db, place, new_pickup):
        return False
    if not place.is_staff:
        raise AfterCutoff(
            "plan_after_cutoff", field="day", minutes=cutoff_minutes(place.institution)
        )
    return True


async def _existing(db: AsyncSession, child_id: uuid.UUID, plan: PlanInput) -> PickupPlan | None:
    where = (
        PickupPlan.day == plan.day if plan.day is not None else PickupPlan.weekday == plan.weekday
    )
    row: PickupPlan | None = await db.scalar(
        select(PickupPlan).where(PickupPlan.child_id == child_id, where)
    )
    return row


async def _check_when(db: AsyncSession, place: _Place, plan: PlanInput) -> tuple[time, time]:
    if (plan.day is None) == (plan.weekday is None):
        raise ValidationFailed("plan_day_or_weekday", field="day")
    if plan.day is not None:
        child = place.child
        if plan.day < place.today:
            raise DayInPast("plan_day_past", field="day")
        if plan.day < child.active_from or (child.active_until and plan.day > child.active_until):
            raise ValidationFailed("child_not_enrolled", field="day")
        return await open_span_on(db, place.institution, plan.day, field="day")
    assert plan.weekday is not None
    if not 0 <= plan.weekday <= 6:
        raise ValidationFailed("plan_day_or_weekday", field="weekday")
    span = opening_span(place.institution, plan.weekday)
    if span is None:
        raise DayClosed("plan_weekday_closed", field="weekday")
    return span


async def _how(db: AsyncSession, place: _Place, plan: PlanInput) -> dict[str, Any]:
    """The columns of how the child leaves, each person checked against the child."""
    child = place.child
    values: dict[str, Any] = {
        "pickup_person_id": None,
        "guardian_user_id": None,
        "companion_child_id": None,
        "alone_until": None,
    }
    if plan.leave_mode not in PLANNED_MODES:
        raise ValidationFailed("invalid_leave_mode", field="leaveMode")
    if plan.leave_mode == "pickup_person":
        person = (
            await db.get(PickupPerson, plan.pickup_person_id) if plan.pickup_person_id else None
        )
        # One answer for "another child's", "another institution's" and "no such person".
        if person is None or person.child_id != child.id:
            raise NotAPickupPerson("pickup_person_not_of_child", field="pickupPersonId")
        on = plan.day or place.today
        if (person.valid_from and person.valid_from > on) or (
            person.valid_until and person.valid_until < on
        ):
            raise NotAPickupPerson("pickup_person_not_valid", field="pickupPersonId")
        values["pickup_person_id"] = person.id
    elif plan.leave_mode == "guardian" and plan.guardian_link_id is not None:
        link = await db.get(GuardianLink, plan.guardian_link_id)
        if link is None or link.child_id != child.id or link.access == "none":
            raise NotAPickupPerson("guardian_not_of_child", field="guardianLinkId")
        values["guardian_user_id"] = link.user_id
    elif plan.leave_mode == "alone":
        if await db.get(GoHomeAlonePermission, child.id) is None:
            raise NotAllowedAlone("alone_not_allowed", field="leaveMode")
        if plan.pickup is None:
            raise ValidationFailed("required", field="pickup")
        if plan.alone_until is None:
            raise ValidationFailed("required", field="aloneUntil")
        values["alone_until"] = plan.alone_until
    elif plan.leave_mode == "with_child":
        other = await db.get(Child, plan.companion_child_id) if plan.companion_child_id else None
        if (
            other is None
            or other.id == child.id
            or other.institution_id != child.institution_id
            or (other.is_protected and not place.is_staff)
        ):
            raise NotFound(field="companionChildId")
        values["companion_child_id"] = other.id
    return values


async def snapshot(db: AsyncSession, row: PickupPlan) -> dict[str, Any]:
    """What a plan says, in words, for the change history (names as they were then)."""
    person = await db.get(PickupPerson, row.pickup_person_id) if row.pickup_person_id else None
    guardian = await db.get(User, row.guardian_user_id) if row.guardian_user_id else None
    companion = await db.get(Child, row.companion_child_id) if row.companion_child_id else None

    def hhmm(value: time | None) -> str | None:
        return value.strftime("%H:%M") if value else None

    return {
        "leaveMode": row.leave_mode,
        "arrival": hhmm(row.arrival),
        "pickup": hhmm(row.pickup),
        "aloneUntil": hhmm(row.alone_until),
        "pickupPerson": person.name if person else None,
        "guardian": guardian.name if guardian else None,
        "companion": companion.first_name if companion else None,
        "companionStatus": row.companion_status,
        "note": row.note,
    }


def _log(
    db: AsyncSession,
    actor: Actor,
    row: PickupPlan,
    action: str,
    details: dict[str, Any],
    *,
    after_cutoff: bool = False,
) -> PickupPlanChange:
    change = PickupPlanChange(
        id=new_id(),  # known before the flush: notifications name the change they tell of
        institution_id=row.institution_id,
        child_id=row.child_id,
        day=row.day,
        weekday=row.weekday,
        action=action,
        details=details,
        after_cutoff=after_cutoff,
        changed_by=actor.user_id,
    )
    db.add(change)
    return change


async def set_plan(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, plan: PlanInput
) -> tuple[PickupPlan, DayChanged | None]:
    """Set a date's plan or a weekday's default (custody guardians; staff of the child).
    A new "goes home with" request tells the other child's custody guardians. Returns the
    entry and, when it is today's plan, the change to publish after the commit."""
    note = plan.note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed("too_long", field="note", max=MAX_NOTE)
    async with write_transaction(db):
        place = await _place(db, actor, child_id)
        span = await _check_when(db, place, plan)
        check_times(span, [(plan.arrival, "arrival"), (plan.pickup, "pickup")])
        if plan.leave_mode == "alone":
            check_times(span, [(plan.pickup, "pickup"), (plan.alone_until, "aloneUntil")])
        how = await _how(db, place, plan)
        row = await _existing(db, place.child.id, plan)
        affects_today = await _applies_today(db, place, day=plan.day, weekday=plan.weekday)
        late = await _guard_today(db, place, affects_today=affects_today, new_pickup=plan.pickup)
        if row is None:
            row = PickupPlan(
                institution_id=place.child.institution_id,
                child_id=place.child.id,
                day=plan.day,
                weekday=plan.weekday,
            )
            db.add(row)
        keep_answer = (
            row.companion_status is not None
            and row.companion_child_id == how["companion_child_id"]
            and row.pickup == plan.pickup
        )
        row.leave_mode, row.arrival, row.pickup, row.note = (
            plan.leave_mode,
            plan.arrival,
            plan.pickup,
            note,
        )
        for key, value in how.items():
            setattr(row, key, value)
        if row.companion_child_id is None:
            row.companion_status = None
        elif not keep_answer:
            row.companion_status = "pending"
        if not keep_answer:
            row.companion_answered_by = row.companion_answered_at = None
        row.updated_by = actor.user_id
        await db.flush()
        change = _log(db, actor, row, "set", await snapshot(db, row), after_cutoff=late)
        if row.companion_child_id is not None and not keep_answer:
            await plan_notices.notify_companion_request(db, actor, row, change)
    return row, _changed_today(place) if affects_today else None


async def _visible_entry(db: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> PickupPlan:
    row = await db.get(PickupPlan, entry_id)
    if row is None or not can_plan_for(actor, row.child_id, row.institution_id):
        raise NotFound(field="entryId")
    return row


async def clear_plan(*, db: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> DayChanged | None:
    """Remove a date's override (the weekly default applies again) or a weekly default.
    Returns the change to publish after the commit when it was today's plan."""
    async with write_transaction(db):
        row = await _visible_entry(db, actor, entry_id)
        place = await _place(db, actor, row.child_id)
        if row.day is not None and row.day < place.today:
            raise DayInPast("plan_day_past", field="entryId")
        affects_today = await _applies_today(db, place, day=row.day, weekday=row.weekday)
        late = await _guard_today(db, place, affects_today=affects_today, new_pickup=None)
        _log(db, actor, row, "cleared", await snapshot(db, row), after_cutoff=late)
        await db.delete(row)
    return _changed_today(place) if affects_today else None


async def answer_companion(
    *, db: AsyncSession, actor: Actor, entry_id: uuid.UUID, accept: bool
) -> tuple[PickupPlan, DayChanged | None]:
    """The companion child's custody guardian accepts or declines "goes home with my child";
    the requesting child's guardians are told. Returns the entry and, when it is today's
    plan, the change to publish after the commit."""
    async with write_transaction(db):
        row = await db.get(PickupPlan, entry_id)
        if (
            row is None
            or row.companion_child_id is None
            or row.companion_child_id not in custody_children(actor)
        ):
            raise NotFound(field="entryId")
        row.companion_status = "accepted" if accept else "declined"
        row.companion_answered_by = actor.user_id
        row.companion_answered_at = clock.now()
        change = _log(
            db,
            actor,
            row,
            "companion_accepted" if accept else "companion_declined",
            await snapshot(db, row),
        )
        await plan_notices.notify_companion_answer(db, actor, row, change)
        # The answering guardian cannot plan for the child: its place is read, not checked.
        child = await db.get(Child, row.child_id)
        institution = await db.get(Institution, row.institution_id)
        assert child is not None and institution is not None
        place = _Place(child, institution, local_now(institution), is_staff=False)
        affects_today = await _applies_today(db, place, day=row.day, weekday=row.weekday)
    return row, _changed_today(place) if affects_today else None


async def set_go_home_alone(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, allowed: bool, note: str = ""
) -> tuple[GoHomeAlonePermission | None, DayChanged | None]:
    """A custody guardian allows (or withdraws) going home alone; withdrawing removes the
    coming plans that relied on it. Returns the permission and, when today's plan went with
    it, the change to publish after the commit."""
    if len(note.strip()) > 500:
        raise ValidationFailed("too_long", field="note", max=500)
    if not can_manage_pickup(actor, child_id):
        raise NotFound(field="childId")
    async with write_transaction(db):
        place = await _place(db, actor, child_id)
        existing = await db.get(GoHomeAlonePermission, child_id)
        if allowed:
            if existing is None:
                existing = GoHomeAlonePermission(
                    child_id=child_id, institution_id=place.child.institution_id
                )
                db.add(existing)
            existing.granted_by, existing.note = actor.user_id, note.strip()
            return existing, None
        if existing is not None:
            await db.delete(existing)
        relying = await db.scalars(
            select(PickupPlan).where(
                PickupPlan.child_id == child_id,
                PickupPlan.leave_mode == "alone",
                or_(PickupPlan.weekday.is_not(None), PickupPlan.day >= place.today),
            )
        )
        affects_today = False
        for row in relying.all():
            affects_today = affects_today or await _applies_today(
                db, place, day=row.day, weekday=row.weekday
            )
            _log(
                db, actor, row, "cleared", {**await snapshot(db, row), "reason": "alone_withdrawn"}
            )
            await db.delete(row)
        return None, _changed_today(place) if affects_today else None


async def send_child_home(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, reason: str
) -> tuple[PickupPlan, DayChanged]:
    """Staff send a child home today (sick, say): today's plan says so, with the reason, and
    the child's guardians are notified at once (outbox, in this transaction; the reason is
    not in it). The caller publishes the returned change after the commit, so the group's
    tablets and the guardians' apps update."""
    cleaned = clean_name(reason, "reason", MAX_NOTE)
    async with write_transaction(db):
        place = await _place(db, actor, child_id, staff_only=True)
        row: PickupPlan | None = await db.scalar(
            select(PickupPlan).where(
                and_(PickupPlan.child_id == child_id, PickupPlan.day == place.today)
            )
        )
        if row is None:
            row = PickupPlan(
                institution_id=place.child.institution_id, child_id=child_id, day=place.today
            )
            db.add(row)
        row.leave_mode, row.note = "sent_home", cleaned
        row.pickup = place.now.time().replace(second=0, microsecond=0, tzinfo=None)
        if row.arrival is not None and row.arrival > row.pickup:
            row.arrival = None
        row.pickup_person_id = row.guardian_user_id = row.companion_child_id = None
        row.alone_until = row.companion_status = None
        row.companion_answered_by = row.companion_answered_at = None
        row.updated_by = actor.user_id
        await db.flush()
        change = _log(db, actor, row, "sent_home", {**await snapshot(db, row), "reason": cleaned})
        await plan_notices.notify_sent_home(db, actor, row, change)
    return row, _changed_today(place, "sent_home", guardians=True)


async def clear_plans_naming(
    db: AsyncSession, actor: Actor, person: PickupPerson, *, reason: str
) -> None:
    """A pickup person withdrawn: the plans naming them go (the database would cascade them
    silently), each logged in the history with the reason."""
    rows = await db.scalars(select(PickupPlan).where(PickupPlan.pickup_person_id == person.id))
    for row in rows.all():
        _log(db, actor, row, "cleared", {**await snapshot(db, row), "reason": reason})
        await db.delete(row)
