"""Use cases of absence: sickness (open until reported well), vacation and other absence.
A write whose period touches today records that the child's day changed (events.DayChanged),
which the tablets hear of after the commit."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.absences.models import Absence
from app.attendance.events import DayChanged
from app.core import events
from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.db import write_transaction
from app.institutions.models import Child, Institution

KINDS = ("sick", "vacation", "other")
# Guardians forget: a sickness may be registered a week back, not more.
MAX_DAYS_BACK = 7


def can_register_for(actor: Actor, child: Child) -> bool:
    """A guardian with full access, or the child's institution's staff on their behalf."""
    access = actor.children.get(child.id)
    return actor.works_in(child.institution_id) or (access is not None and access.access == "full")


async def _today(db: AsyncSession, child: Child) -> date:
    institution = await db.get(Institution, child.institution_id)
    assert institution is not None
    return datetime.now(ZoneInfo(institution.timezone)).date()


async def _child(db: AsyncSession, actor: Actor, child_id: uuid.UUID) -> tuple[Child, date]:
    child = await db.get(Child, child_id)
    if child is None or not can_register_for(actor, child):
        raise NotFound(field="childId")
    return child, await _today(db, child)


def _covers(from_day: date, until_day: date | None, day: date) -> bool:
    return from_day <= day and (until_day is None or day <= until_day)


async def _tell(db: AsyncSession, child: Child, touches_today: bool) -> None:
    if touches_today:
        await events.record(db, DayChanged(child.id, child.group_id, "absence"))


async def _overlapping(
    db: AsyncSession, child_id: uuid.UUID, start: date, end: date | None
) -> bool:
    statement = select(Absence.id).where(
        Absence.child_id == child_id,
        or_(Absence.until_day.is_(None), Absence.until_day >= start),
    )
    if end is not None:
        statement = statement.where(Absence.from_day <= end)
    return await db.scalar(statement.limit(1)) is not None


async def register_absence(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    kind: str,
    from_day: date,
    until_day: date | None = None,
    note: str = "",
) -> Absence:
    """Register an absence; sickness may be left open until the child is reported well."""
    if kind not in KINDS:
        raise ValidationFailed("invalid_absence_kind", field="kind")
    if until_day is None and kind != "sick":
        raise ValidationFailed("required", field="untilDay")
    if until_day is not None and until_day < from_day:
        raise ValidationFailed("period_order", field="untilDay")
    if len(note) > 1000:
        raise ValidationFailed("too_long", field="note", max=1000)
    async with write_transaction(db):
        child, today = await _child(db, actor, child_id)
        if from_day < today - timedelta(days=MAX_DAYS_BACK) and not actor.works_in(
            child.institution_id
        ):
            raise ValidationFailed("absence_too_far_back", field="fromDay", days=MAX_DAYS_BACK)
        # Two registrations at once (both parents' phones) must not both pass the overlap
        # check: the child's row is the lock, as check-in and check-out take it.
        await db.execute(select(Child.id).where(Child.id == child.id).with_for_update())
        if await _overlapping(db, child.id, from_day, until_day):
            raise Conflict("absence_overlaps", field="fromDay")
        absence = Absence(
            institution_id=child.institution_id,
            child_id=child.id,
            kind=kind,
            from_day=from_day,
            until_day=until_day,
            note=note.strip(),
            registered_by=actor.user_id,
        )
        db.add(absence)
        await _tell(db, child, _covers(from_day, until_day, today))
    return absence


async def _own_absence(
    db: AsyncSession, actor: Actor, absence_id: uuid.UUID
) -> tuple[Absence, Child]:
    absence = await db.get(Absence, absence_id)
    child = await db.get(Child, absence.child_id) if absence else None
    if absence is None or child is None or not can_register_for(actor, child):
        raise NotFound(field="absenceId")
    return absence, child


async def report_well(
    *, db: AsyncSession, actor: Actor, absence_id: uuid.UUID, back_on: date
) -> Absence:
    """End an open sickness: the child comes back on `back_on`."""
    async with write_transaction(db):
        absence, child = await _own_absence(db, actor, absence_id)
        if absence.kind != "sick" or absence.until_day is not None:
            raise Conflict("absence_not_open", field="absenceId")
        if back_on <= absence.from_day:
            raise ValidationFailed("period_order", field="backOn")
        absence.until_day = back_on - timedelta(days=1)
        # Open, it covered today from its first day on; today's row shows its end either way.
        await _tell(db, child, absence.from_day <= await _today(db, child))
    return absence


async def cancel_absence(*, db: AsyncSession, actor: Actor, absence_id: uuid.UUID) -> None:
    """Withdraw an absence registered by mistake."""
    async with write_transaction(db):
        absence, child = await _own_absence(db, actor, absence_id)
        touches_today = _covers(absence.from_day, absence.until_day, await _today(db, child))
        await db.delete(absence)
        await _tell(db, child, touches_today)


async def absences(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, start: date, end: date
) -> list[Absence]:
    """The child's absences touching [start, end], for staff and the child's guardians."""
    child = await db.get(Child, child_id)
    if child is None or not (actor.works_in(child.institution_id) or child_id in actor.children):
        return []
    rows = await db.scalars(
        select(Absence)
        .where(
            Absence.child_id == child_id,
            Absence.from_day <= end,
            or_(Absence.until_day.is_(None), Absence.until_day >= start),
        )
        .order_by(Absence.from_day, Absence.id)
    )
    return list(rows.all())
