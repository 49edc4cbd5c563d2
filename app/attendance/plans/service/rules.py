"""When a pickup plan may be set or changed: the child's place (its institution, now there),
whether a change touches today's plan, today's cut-off, and the typed errors that say why not.
The institution's time and opening hours are in app.attendance.service.hours."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.events import DayChanged
from app.attendance.plans.models import PickupPlan
from app.attendance.plans.policies import can_plan_for
from app.attendance.plans.service.reads import clipped
from app.attendance.service.hours import local_now, opening_span
from app.core import events
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.institutions.calendar.service.days import early_closings
from app.institutions.models import Child, Institution
from app.institutions.service.settings import settings_of

MAX_NOTE = 1000


class AfterCutoff(ValidationFailed):
    code = "AFTER_CUTOFF"


class NotAPickupPerson(ValidationFailed):
    code = "NOT_A_PICKUP_PERSON"


class NotAllowedAlone(ValidationFailed):
    code = "NOT_ALLOWED_ALONE"


def cutoff_minutes(institution: Institution) -> int:
    """The institution setting: today's plan changes until this long before the pickup."""
    return settings_of(institution).pickup_change_cutoff_minutes


# --- the child's place and today ---------------------------------------------------------------


@dataclass
class Place:
    """The child a plan is for, its institution, now there, and whether the actor is staff."""

    child: Child
    institution: Institution
    now: datetime
    is_staff: bool

    @property
    def today(self) -> date:
        return self.now.date()


async def place_of(
    db: AsyncSession, actor: Actor, child_id: uuid.UUID, *, staff_only: bool = False
) -> Place:
    """The child's place for one who may plan for it (staff only, when asked); else NotFound."""
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
    return Place(child, institution, local_now(institution), actor.works_in(child.institution_id))


async def _today_rows(db: AsyncSession, place: Place) -> list[PickupPlan]:
    """Today's override and today's weekday default, the plan a cut-off protects."""
    rows = await db.scalars(
        select(PickupPlan).where(
            PickupPlan.child_id == place.child.id,
            or_(PickupPlan.day == place.today, PickupPlan.weekday == place.today.weekday()),
        )
    )
    return list(rows.all())


async def applies_today(
    db: AsyncSession, place: Place, *, day: date | None, weekday: int | None
) -> bool:
    """Whether a date's entry or a weekly default is what today's plan says (a default only
    while today has no override): a change to it changes the child's day on the tablets."""
    if day is not None:
        return day == place.today
    return weekday == place.today.weekday() and not any(
        r.day is not None for r in await _today_rows(db, place)
    )


async def tell_today(
    db: AsyncSession, place: Place, kind: str = "plan", *, guardians: bool = False
) -> None:
    """Record that the child's day changed: the tablets (and, with `guardians`, the child's
    guardians) hear of it after the commit."""
    await events.record(
        db, DayChanged(place.child.id, place.child.group_id, kind, guardians=guardians)
    )


async def _cutoff_passed(db: AsyncSession, place: Place, new_pickup: time | None) -> bool:
    """Past the cut-off before today's pickup: the earlier of the planned and the new time
    (closing time when neither is known). On a day it closes early (Grundlovsdag afternoon)
    the planned pickup is at the latest the closing, as the effective plan says (a weekly
    15:00 is 12:00 then)."""
    rows = await _today_rows(db, place)
    current = next((r for r in rows if r.day is not None), None) or next(iter(rows), None)
    planned = current.pickup if current else None
    early = (await early_closings(db, place.institution.id, place.today, place.today)).get(
        place.today
    )
    times = [t for t in (clipped(planned, early), new_pickup) if t is not None]
    if not times:
        span = opening_span(place.institution, place.today.weekday())
        if span is None:
            return False
        times = [clipped(span[1], early) or span[1]]
    deadline = datetime.combine(place.today, min(times), place.now.tzinfo) - timedelta(
        minutes=cutoff_minutes(place.institution)
    )
    return place.now > deadline


async def guard_today(
    db: AsyncSession, place: Place, *, affects_today: bool, new_pickup: time | None
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
