"""Setting and clearing a child's pickup plan: a weekly default per weekday with date
overrides, and how the child leaves, each person checked against the child. The rules of
when a plan may change are in rules.py, the history in history.py; the companion's answer,
going home alone and "sent home" in leaving.py. Reads live in reads.py."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.events import PickupPersonWithdrawn
from app.attendance.pickup.models import PickupPerson
from app.attendance.plans.models import GoHomeAlonePermission, PickupPlan
from app.attendance.plans.policies import can_plan_for
from app.attendance.plans.service import notices as plan_notices
from app.attendance.plans.service.history import log_change, snapshot
from app.attendance.plans.service.rules import (
    MAX_NOTE,
    NotAllowedAlone,
    NotAPickupPerson,
    Place,
    applies_today,
    guard_today,
    place_of,
    tell_today,
)
from app.attendance.service.hours import (
    DayClosed,
    DayInPast,
    check_times,
    open_span_on,
    opening_span,
)
from app.core import events
from app.core.actor import Actor
from app.core.errors import ChildrenRefused, DomainError, NotFound, ValidationFailed
from app.db import write_transaction
from app.institutions.models import Child, GuardianLink

# Modes a guardian or staff member plans; "sent_home" only comes from send_child_home.
PLANNED_MODES = ("guardian", "pickup_person", "alone", "with_child")
# Siblings planned in one call: a family, not a group.
MAX_SIBLINGS = 10


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


async def _existing(db: AsyncSession, child_id: uuid.UUID, plan: PlanInput) -> PickupPlan | None:
    where = (
        PickupPlan.day == plan.day if plan.day is not None else PickupPlan.weekday == plan.weekday
    )
    row: PickupPlan | None = await db.scalar(
        select(PickupPlan).where(PickupPlan.child_id == child_id, where)
    )
    return row


async def _check_when(db: AsyncSession, place: Place, plan: PlanInput) -> tuple[time, time]:
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


async def _how(db: AsyncSession, place: Place, plan: PlanInput) -> dict[str, Any]:
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


async def set_plan(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, plan: PlanInput
) -> PickupPlan:
    """Set a date's plan or a weekday's default (custody guardians; staff of the child).
    A new "goes home with" request tells the other child's custody guardians; a change of
    today's plan, the tablets (after the commit)."""
    note = _note(plan)
    async with write_transaction(db):
        return await _set_one(db, actor, child_id, plan, note)


async def set_plans(
    *, db: AsyncSession, actor: Actor, plans: Sequence[tuple[uuid.UUID, PlanInput]]
) -> list[PickupPlan]:
    """The same plan for several children (siblings), each with its own people, in one
    transaction. Atomic: if any child is refused, no plan is set and `ChildrenRefused` says
    for each refused child (its position) why. Every check of a child comes before its
    writes, so a refused child leaves nothing behind while the others are checked."""
    if not plans:
        raise ValidationFailed("required", field="children")
    if len(plans) > MAX_SIBLINGS:
        raise ValidationFailed("too_many_siblings", field="children", max=MAX_SIBLINGS)
    notes = [_note(plan) for _, plan in plans]
    async with write_transaction(db):
        rows: list[PickupPlan] = []
        refusals: list[tuple[int, DomainError]] = []
        seen: set[uuid.UUID] = set()
        for index, ((child_id, plan), note) in enumerate(zip(plans, notes, strict=True)):
            if child_id in seen:
                refusals.append((index, ValidationFailed("child_named_twice", field="childId")))
                continue
            seen.add(child_id)
            try:
                rows.append(await _set_one(db, actor, child_id, plan, note))
            except DomainError as refused:
                refusals.append((index, refused))
        if refusals:
            raise ChildrenRefused(refusals, field="children")
    return rows


def _note(plan: PlanInput) -> str:
    note = plan.note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed("too_long", field="note", max=MAX_NOTE)
    return note


async def _set_one(
    db: AsyncSession, actor: Actor, child_id: uuid.UUID, plan: PlanInput, note: str
) -> PickupPlan:
    """One child's plan, inside the caller's transaction; every refusal before any write."""
    place = await place_of(db, actor, child_id)
    span = await _check_when(db, place, plan)
    check_times(span, [(plan.arrival, "arrival"), (plan.pickup, "pickup")])
    if plan.leave_mode == "alone":
        check_times(span, [(plan.pickup, "pickup"), (plan.alone_until, "aloneUntil")])
    how = await _how(db, place, plan)
    row = await _existing(db, place.child.id, plan)
    affects_today = await applies_today(db, place, day=plan.day, weekday=plan.weekday)
    late = await guard_today(db, place, affects_today=affects_today, new_pickup=plan.pickup)
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
    change = log_change(db, actor.user_id, row, "set", await snapshot(db, row), after_cutoff=late)
    if row.companion_child_id is not None and not keep_answer:
        await plan_notices.notify_companion_request(db, actor, row, change)
    if affects_today:
        await tell_today(db, place)
    return row


async def _visible_entry(db: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> PickupPlan:
    row = await db.get(PickupPlan, entry_id)
    if row is None or not can_plan_for(actor, row.child_id, row.institution_id):
        raise NotFound(field="entryId")
    return row


async def clear_plan(*, db: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> None:
    """Remove a date's override (the weekly default applies again) or a weekly default.
    When it was today's plan, the tablets hear of it after the commit."""
    async with write_transaction(db):
        row = await _visible_entry(db, actor, entry_id)
        place = await place_of(db, actor, row.child_id)
        if row.day is not None and row.day < place.today:
            raise DayInPast("plan_day_past", field="entryId")
        affects_today = await applies_today(db, place, day=row.day, weekday=row.weekday)
        late = await guard_today(db, place, affects_today=affects_today, new_pickup=None)
        log_change(db, actor.user_id, row, "cleared", await snapshot(db, row), after_cutoff=late)
        await db.delete(row)
        if affects_today:
            await tell_today(db, place)


@events.on(PickupPersonWithdrawn)
async def clear_plans_naming(db: AsyncSession, withdrawn: PickupPersonWithdrawn) -> None:
    """A pickup person withdrawn: the plans naming them go (the database would cascade them
    silently), each logged in the history with the reason."""
    rows = await db.scalars(
        select(PickupPlan).where(PickupPlan.pickup_person_id == withdrawn.person_id)
    )
    for row in rows.all():
        details = {**await snapshot(db, row), "reason": "pickup_person_removed"}
        log_change(db, withdrawn.withdrawn_by, row, "cleared", details)
        await db.delete(row)
