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
    place_of,
    tell_today,
)
from app.attendance.service import clock
from app.attendance.service.hours import local_now
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.core.values import clean_name
from app.db import write_transaction
from app.institutions.models import Child, Institution


async def answer_companion(
    *, db: AsyncSession, actor: Actor, entry_id: uuid.UUID, accept: bool
) -> PickupPlan:
    """The companion child's custody guardian accepts or declines "goes home with my child";
    the requesting child's guardians are told, and the tablets when it is today's plan."""
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
            actor.user_id,
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
        if await applies_today(db, place, day=row.day, weekday=row.weekday):
            await tell_today(db, place)
    return row


async def set_go_home_alone(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, allowed: bool, note: str = ""
) -> GoHomeAlonePermission | None:
    """A custody guardian allows (or withdraws) going home alone; withdrawing removes the
    coming plans that relied on it (the tablets hear of it when today's plan went with it).
    Returns the permission, None once withdrawn."""
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
            return existing
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
            details = {**await snapshot(db, row), "reason": "alone_withdrawn"}
            log_change(db, actor.user_id, row, "cleared", details)
            await db.delete(row)
        if affects_today:
            await tell_today(db, place)
        return None


async def send_child_home(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, reason: str
) -> PickupPlan:
    """Staff send a child home today (sick, say): today's plan says so, with the reason, and
    the child's guardians are notified at once (outbox, in this transaction; the reason is
    not in it). After the commit the group's tablets and the guardians' apps hear of it."""
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
            db, actor.user_id, row, "sent_home", {**await snapshot(db, row), "reason": cleaned}
        )
        await plan_notices.notify_sent_home(db, actor, row, change)
        await tell_today(db, place, "sent_home", guardians=True)
    return row
