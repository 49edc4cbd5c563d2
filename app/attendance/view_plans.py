"""The plan side of the presence read models: what is planned for a child on a day, in the
words the tablet and the guardian's app show (arrival, pickup, who fetches the child and how
it leaves). The plans come from plan_reads; this module adds the names they refer to, in a
fixed number of statements whatever the number of children or days."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.actor import Actor
from app.attendance.loaders import child_name_by_id
from app.attendance.models import PickupPerson
from app.attendance.plan_reads import DayPlan
from app.institutions.models import Institution

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class PlanView:
    """What is planned for a child on a day; without a plan, whether the institution is open.
    `leave_mode` is how the child leaves (guardian, pickup_person, alone, with_child,
    sent_home; None when nothing says so); for "alone" the child leaves between
    `picked_up_at` and `alone_until`; for "with_child" `companion_status` is the other
    child's guardian's answer (pending, accepted, declined)."""

    expected: bool
    arrives_at: time | None = None
    picked_up_at: time | None = None
    pickup_person: str | None = None
    pickup_person_id: uuid.UUID | None = None
    pickup_user_id: uuid.UUID | None = None
    note: str | None = None
    leave_mode: str | None = None
    alone_until: time | None = None
    companion_name: str | None = None
    companion_status: str | None = None

    @property
    def leave_by(self) -> time | None:
        """When the child should have left: the end of its window when it goes home alone,
        else the planned pickup."""
        return self.alone_until if self.leave_mode == "alone" else self.picked_up_at


@dataclass(frozen=True)
class PlanNames:
    """The names the plans refer to: pickup persons and guardians (by their ID), and the
    children they go home with, as the actor may see them (None: not for this actor)."""

    people: dict[uuid.UUID, str] = field(default_factory=dict)
    children: dict[uuid.UUID, str | None] = field(default_factory=dict)


def is_open(institution: Institution, day: date, closed: set[date]) -> bool:
    return WEEKDAYS[day.weekday()] in (institution.opening_hours or {}) and day not in closed


async def plan_names(db: AsyncSession, actor: Actor, plans: Iterable[DayPlan]) -> PlanNames:
    """The names the plans name, three statements at most (pickup persons, guardians, the
    companion children), none when the plans name nobody."""
    entries = [p.entry for p in plans if p.entry is not None]
    person_ids = {e.pickup_person_id for e in entries if e.pickup_person_id}
    user_ids = {e.guardian_user_id for e in entries if e.guardian_user_id}
    companion_ids = sorted({e.companion_child_id for e in entries if e.companion_child_id})
    names = PlanNames()
    if person_ids:
        rows = await db.execute(
            select(PickupPerson.id, PickupPerson.name).where(PickupPerson.id.in_(person_ids))
        )
        names.people.update({row.id: row.name for row in rows})
    if user_ids:
        rows = await db.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
        names.people.update({row.id: row.name for row in rows})
    if companion_ids:
        # The plan entry's own rule: other families see a first name, or nothing.
        found = await child_name_by_id(db, actor, companion_ids)
        names.children.update(zip(companion_ids, found, strict=True))
    return names


def plan_view(plan: DayPlan | None, *, open_: bool, names: PlanNames) -> PlanView:
    """The day's plan in words; a child without a plan is expected whenever it is open."""
    if plan is None:
        return PlanView(expected=open_)
    entry = plan.entry
    if entry is None:  # a survey answer without a weekly default
        return PlanView(
            expected=open_ and plan.coming, arrives_at=plan.arrival, picked_up_at=plan.pickup
        )
    named = entry.pickup_person_id or entry.guardian_user_id
    return PlanView(
        expected=open_ and plan.coming,
        arrives_at=plan.arrival,
        picked_up_at=plan.pickup,
        pickup_person=names.people.get(named) if named else None,
        pickup_person_id=entry.pickup_person_id,
        pickup_user_id=entry.guardian_user_id,
        note=entry.note or None,
        leave_mode=entry.leave_mode,
        alone_until=entry.alone_until if entry.leave_mode == "alone" else None,
        companion_name=(
            names.children.get(entry.companion_child_id) if entry.companion_child_id else None
        ),
        companion_status=entry.companion_status,
    )
