"""Use cases of absence: sickness (open until reported well), vacation and other absence.
A write whose period touches today records that the child's day changed (events.DayChanged),
which the tablets hear of after the commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.absences.models import Absence
from app.attendance.events import DayChanged
from app.core import events
from app.core.actor import Actor
from app.core.errors import ChildrenRefused, Conflict, DomainError, NotFound, ValidationFailed
from app.db import write_transaction
from app.institutions.models import Child, Institution

KINDS = ("sick", "vacation", "other")
# Guardians forget: a sickness may be registered a week back, not more.
MAX_DAYS_BACK = 7
# Siblings registered in one call: a family, not a group (staff use the group's tools).
MAX_SIBLINGS = 10


def can_register_for(actor: Actor, child: Child) -> bool:
    """A guardian with full access, or the child's institution's staff on their behalf."""
    access = actor.children.get(child.id)
    return actor.works_in(child.institution_id) or (access is not None and access.access == "full")


async def _today(db: AsyncSession, child: Child) -> date:
    institution = await db.get(Institution, child.institution_id)
    assert institution is not None
    return datetime.now(ZoneInfo(institution.timezone)).date()


def _covers(from_day: date, until_day: date | None, day: date) -> bool:
    return from_day <= day and (until_day is None or day <= until_day)


async def _tell(db: AsyncSession, child: Child, touches_today: bool) -> None:
    if touches_today:
        await events.record(db, DayChanged(child.id, child.group_id, "absence"))


async def _overlapping(
    db: AsyncSession, child_ids: Sequence[uuid.UUID], start: date, end: date | None
) -> set[uuid.UUID]:
    """The children among `child_ids` with an absence touching [start, end]: one statement."""
    statement = select(Absence.child_id).where(
        Absence.child_id.in_(child_ids),
        or_(Absence.until_day.is_(None), Absence.until_day >= start),
    )
    if end is not None:
        statement = statement.where(Absence.from_day <= end)
    return set((await db.scalars(statement)).all())


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
    try:
        (absence,) = await register_absences(
            db=db,
            actor=actor,
            child_ids=[child_id],
            kind=kind,
            from_day=from_day,
            until_day=until_day,
            note=note,
        )
    except ChildrenRefused as refused:
        raise refused.refusals[0][1] from None  # one child: its own error, as always
    return absence


async def register_absences(
    *,
    db: AsyncSession,
    actor: Actor,
    child_ids: Sequence[uuid.UUID],
    kind: str,
    from_day: date,
    until_day: date | None = None,
    note: str = "",
) -> list[Absence]:
    """The same absence for several children (siblings), in one transaction and a fixed
    number of statements. Atomic: if any child is refused, none is registered, and
    `ChildrenRefused` says for each refused child why (so nothing is half-done and the
    guardian resends without it, losing nothing)."""
    if kind not in KINDS:
        raise ValidationFailed("invalid_absence_kind", field="kind")
    if until_day is None and kind != "sick":
        raise ValidationFailed("required", field="untilDay")
    if until_day is not None and until_day < from_day:
        raise ValidationFailed("period_order", field="untilDay")
    if len(note) > 1000:
        raise ValidationFailed("too_long", field="note", max=1000)
    if not child_ids:
        raise ValidationFailed("required", field="childIds")
    if len(child_ids) > MAX_SIBLINGS:
        raise ValidationFailed("too_many_siblings", field="childIds", max=MAX_SIBLINGS)
    async with write_transaction(db):
        # Two registrations at once (both parents' phones) must not both pass the overlap
        # check: the children's rows are the lock, as check-in and check-out take it; taken
        # in id order so that two sibling calls cannot deadlock.
        found = {
            child.id: child
            for child in (
                await db.scalars(
                    select(Child)
                    .where(Child.id.in_(set(child_ids)))
                    .order_by(Child.id)
                    .with_for_update()
                )
            ).all()
            if can_register_for(actor, child)
        }
        todays = await _todays(db, {child.institution_id for child in found.values()})
        overlapping = await _overlapping(db, list(found), from_day, until_day)
        refusals: list[tuple[int, DomainError]] = []
        seen: set[uuid.UUID] = set()
        for index, child_id in enumerate(child_ids):
            child = found.get(child_id)
            if child is None:
                refusals.append((index, NotFound(field="childId")))
            elif child_id in seen:
                refusals.append((index, ValidationFailed("child_named_twice", field="childId")))
            elif from_day < todays[child.institution_id] - timedelta(
                days=MAX_DAYS_BACK
            ) and not actor.works_in(child.institution_id):
                refusals.append(
                    (
                        index,
                        ValidationFailed(
                            "absence_too_far_back", field="fromDay", days=MAX_DAYS_BACK
                        ),
                    )
                )
            elif child_id in overlapping:
                refusals.append((index, Conflict("absence_overlaps", field="fromDay")))
            seen.add(child_id)
        if refusals:
            raise ChildrenRefused(refusals, field="childIds")
        created = [
            Absence(
                institution_id=found[child_id].institution_id,
                child_id=child_id,
                kind=kind,
                from_day=from_day,
                until_day=until_day,
                note=note.strip(),
                registered_by=actor.user_id,
            )
            for child_id in child_ids
        ]
        db.add_all(created)
        for child_id in child_ids:
            child = found[child_id]
            await _tell(db, child, _covers(from_day, until_day, todays[child.institution_id]))
    return created


async def _todays(db: AsyncSession, institution_ids: set[uuid.UUID]) -> dict[uuid.UUID, date]:
    """Today in each institution's own timezone."""
    if not institution_ids:
        return {}
    rows = await db.execute(
        select(Institution.id, Institution.timezone).where(Institution.id.in_(institution_ids))
    )
    return {iid: datetime.now(ZoneInfo(zone)).date() for iid, zone in rows.all()}


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
