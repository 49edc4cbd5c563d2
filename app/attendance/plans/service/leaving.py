"""How a child leaves beyond its own plan: the companion child's guardian answers "goes
home with my child", a custody guardian allows going home alone (or withdraws it, which
removes the plans relying on it), and staff send a child home today."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.pickup.policies import can_manage_pickup
from app.attendance.plans.models import GoHomeAlonePermission, PickupPlan
from app.attendance.plans.policies import custody_children
from app.attendance.plans.service import notices as plan_notices
from app.attendance.plans.service.history import log_change, snapshot
from app.attendance.plans.service.rules import (
    MAX_NOTE,
    Place,
    applies_today,
    changed_today,
    place_of,
)
from app.attendance.presence.service.live import DayChanged
from app.attendance.service import clock
from app.attendance.service.hours import local_now
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.core.values import clean_name
from app.db import write_transaction
from app.institutions.models import Child, Institution


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
        change = log_change(
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
        place = Place(child, institution, local_now(institution), is_staff=False)
        affects_today = await applies_today(db, place, day=row.day, weekday=row.weekday)
    return row, changed_today(place) if affects_today else None


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
        place = await place_of(db, actor, child_id)
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
            affects_today = affects_today or await applies_today(
                db, place, day=row.day, weekday=row.weekday
            )
            log_change(
                db, actor, row, "cleared", {**await snapshot(db, row), "reason": "alone_withdrawn"}
            )
            await db.delete(row)
        return None, changed_today(place) if affects_today else None


async def send_child_home(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, reason: str
) -> tuple[PickupPlan, DayChanged]:
    """Staff send a child home today (sick, say): today's plan says so, with the reason, and
    the child's guardians are notified at once (outbox, in this transaction; the reason is
    not in it). The caller publishes the returned change after the commit, so the group's
    tablets and the guardians' apps update."""
    cleaned = clean_name(reason, "reason", MAX_NOTE)
    async with write_transaction(db):
        place = await place_of(db, actor, child_id, staff_only=True)
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
        change = log_change(
            db, actor, row, "sent_home", {**await snapshot(db, row), "reason": cleaned}
        )
        await plan_notices.notify_sent_home(db, actor, row, change)
    return row, changed_today(place, "sent_home", guardians=True)
