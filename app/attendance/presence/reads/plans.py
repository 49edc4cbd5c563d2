"""The plan side of the presence read models: what is planned for a child on a day, in the
words the tablet and the guardian's app show (arrival, pickup, who fetches the child and how
it leaves). The plans come from app.attendance.plans.service.reads; this module adds the
names they refer to, in a fixed number of statements whatever the number of children or days."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from sqlalchemy import Boolean, Select, String, Uuid, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.attendance.pickup.models import PickupPerson
from app.attendance.plans.models import PickupPlan as PlanRow
from app.attendance.plans.policies import child_name_for
from app.attendance.plans.service.reads import DayPlan
from app.core.actor import Actor
from app.institutions.models import Child, Institution
from app.institutions.reads import InstitutionRow

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


def is_open(institution: Institution | InstitutionRow, day: date, closed: set[date]) -> bool:
    return WEEKDAYS[day.weekday()] in (institution.opening_hours or {}) and day not in closed


async def plan_names(
    db: AsyncSession, actor: Actor, plans: Iterable[DayPlan[PlanRow]]
) -> PlanNames:
    """The names the plans name (pickup persons, guardians, the children they go home with)
    in one statement, none when the plans name nobody."""
    entries = [p.entry for p in plans if p.entry is not None]
    person_ids = {e.pickup_person_id for e in entries if e.pickup_person_id}
    user_ids = {e.guardian_user_id for e in entries if e.guardian_user_id}
    child_ids = {e.companion_child_id for e in entries if e.companion_child_id}
    parts = []
    if person_ids:
        parts.append(_named("person", PickupPerson.id, PickupPerson.name, person_ids))
    if user_ids:
        parts.append(_named("user", User.id, User.name, user_ids))
    if child_ids:
        parts.append(
            select(
                literal("child").label("kind"),
                Child.id.label("id"),
                Child.first_name.label("name"),
                Child.last_name.label("last_name"),
                Child.institution_id.label("institution_id"),
                Child.is_protected.label("is_protected"),
            ).where(Child.id.in_(child_ids), Child.institution_id.in_(actor.institution_ids))
        )
    names = PlanNames()
    if not parts:
        return names
    for row in await db.execute(parts[0] if len(parts) == 1 else union_all(*parts)):
        if row.kind != "child":
            names.people[row.id] = row.name
            continue
        names.children[row.id] = child_name_for(
            actor,
            child_id=row.id,
            institution_id=row.institution_id,
            first_name=row.name,
            last_name=row.last_name,
            is_protected=row.is_protected,
        )
    return names


def _named(kind: str, id_: Any, name: Any, ids: set[uuid.UUID]) -> Select[Any]:
    """A person's (id, name) in the columns of the children's part of the names' union."""
    return select(
        literal(kind).label("kind"),
        id_.label("id"),
        name.label("name"),
        cast(null(), String).label("last_name"),
        cast(null(), Uuid).label("institution_id"),
        cast(null(), Boolean).label("is_protected"),
    ).where(id_.in_(ids))


def plan_view(plan: DayPlan[Any] | None, *, open_: bool, names: PlanNames) -> PlanView:
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
        alone_until=plan.alone_until if entry.leave_mode == "alone" else None,
        companion_name=(
            names.children.get(entry.companion_child_id) if entry.companion_child_id else None
        ),
        companion_status=entry.companion_status,
    )
