"""The yearly move-up (oprykning) and leaving: an admin asks for proposals by a birth-date
cut-off (children turning 3 before 1 August go from Bjørnene to Myrerne), reviews them, plans
the moves for a date (a plan without a group is the child leaving), can undo them until the
date, and the worker applies them on that date in the institution's time zone, once. Applying
is the single move of app.institutions.service.children (and its end of an enrolment), so the
guardians' threads and the group inboxes follow exactly as they do for `moveChild`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.actor import Actor
from app.core.errors import (
    ChildrenRefused,
    Conflict,
    DomainError,
    NotFound,
    ValidationFailed,
)
from app.core.system_scope import institution_ids, institution_session
from app.db import write_transaction
from app.institutions.models import Child, Group, Institution, PlannedGroupMove
from app.institutions.policies import require_admin
from app.institutions.service.children import end_enrolment, place_in_group
from app.institutions.service.lookups import (
    active_group_in,
    admin_group,
    guardian_reach_changed,
    institution_today,
)

log = logging.getLogger("seddel.moves")

MAX_MOVES = 500  # a whole institution's year, in one plan


@dataclass(frozen=True)
class MoveProposal:
    """A move the cut-off suggests, not saved: the admin reviews it and plans what they keep."""

    child: Child
    from_group_id: uuid.UUID
    to_group_id: uuid.UUID
    effective_on: date
    already_planned: bool


@dataclass(frozen=True)
class PlannedMove:
    """A saved plan as the admins' list shows it."""

    move: PlannedGroupMove
    child: Child
    planned_by_name: str | None


def cut_off_date(
    *, born_before: date | None, turning_age: int | None, turning_before: date | None
) -> date:
    """Children born before the returned day qualify: given directly, or as "turning
    `turning_age` before `turning_before`" (born on 29 February turns a year older on 1 March)."""
    by_age = turning_age is not None or turning_before is not None
    if (born_before is None) == (not by_age) or (by_age and None in (turning_age, turning_before)):
        raise ValidationFailed("move_one_cut_off", field="bornBefore")
    if born_before is not None:
        return born_before
    assert turning_age is not None and turning_before is not None
    if not 0 <= turning_age <= 18:
        raise ValidationFailed("setting_out_of_range", field="turningAge", low=0, high=18)
    year = turning_before.year - turning_age
    if year < 1:
        raise ValidationFailed("move_one_cut_off", field="turningBefore")
    try:
        return turning_before.replace(year=year)
    except ValueError:  # 29 February in a year without one
        return date(year, 3, 1)


async def propose_group_moves(
    *,
    db: AsyncSession,
    actor: Actor,
    from_group_id: uuid.UUID,
    to_group_id: uuid.UUID,
    effective_on: date,
    born_before: date | None = None,
    turning_age: int | None = None,
    turning_before: date | None = None,
) -> list[MoveProposal]:
    """The children of `from_group_id` still enrolled on `effective_on` and born before the
    cut-off, oldest first, each marked if it already has a plan on that day. Nothing is saved."""
    cut_off = cut_off_date(
        born_before=born_before, turning_age=turning_age, turning_before=turning_before
    )
    source = await admin_group(db, actor, from_group_id, "fromGroupId")
    await active_group_in(db, source.institution_id, to_group_id, "toGroupId")
    if effective_on <= await institution_today(db, source.institution_id):
        raise ValidationFailed("move_date_not_future", field="effectiveOn")
    planned = (
        select(PlannedGroupMove.id)
        .where(
            PlannedGroupMove.institution_id == source.institution_id,
            PlannedGroupMove.child_id == Child.id,
            PlannedGroupMove.effective_on == effective_on,
        )
        .exists()
    )
    rows = await db.execute(
        select(Child, planned)
        .where(
            Child.institution_id == source.institution_id,
            Child.group_id == from_group_id,
            Child.birth_date < cut_off,
            or_(Child.active_until.is_(None), Child.active_until >= effective_on),
        )
        .order_by(Child.birth_date, Child.last_name, Child.first_name, Child.id)
    )
    return [
        MoveProposal(
            child=child,
            from_group_id=from_group_id,
            to_group_id=to_group_id,
            effective_on=effective_on,
            already_planned=bool(already),
        )
        for child, already in rows.all()
    ]


async def plan_group_moves(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    effective_on: date,
    moves: Sequence[tuple[uuid.UUID, uuid.UUID | None]],
) -> list[PlannedGroupMove]:
    """Save (approved) the moves `(child, group)` for `effective_on`; a move without a group is
    the child leaving, its last day the day before. All or nothing: a refused move refuses the
    call and says which. The same plan again changes nothing (each child one plan a day)."""
    require_admin(actor, institution_id, field="institutionId")
    if len(moves) > MAX_MOVES:
        raise ValidationFailed("too_many", field="moves", max=MAX_MOVES)
    async with write_transaction(db):
        if effective_on <= await institution_today(db, institution_id):
            raise ValidationFailed("move_date_not_future", field="effectiveOn")
        child_ids = {child_id for child_id, _ in moves}
        children = {
            c.id: c
            for c in (
                await db.scalars(
                    select(Child).where(
                        Child.institution_id == institution_id, Child.id.in_(child_ids)
                    )
                )
            ).all()
        }
        group_ids = {group_id for _, group_id in moves if group_id is not None}
        groups = {
            g.id: g
            for g in (
                await db.scalars(
                    select(Group).where(
                        Group.institution_id == institution_id, Group.id.in_(group_ids)
                    )
                )
            ).all()
        }
        existing = {
            m.child_id: m
            for m in (
                await db.scalars(
                    select(PlannedGroupMove).where(
                        PlannedGroupMove.institution_id == institution_id,
                        PlannedGroupMove.child_id.in_(child_ids),
                        PlannedGroupMove.effective_on == effective_on,
                    )
                )
            ).all()
        }
        refusals: list[tuple[int, DomainError]] = []
        planned: list[PlannedGroupMove] = []
        seen: set[uuid.UUID] = set()
        for index, (child_id, group_id) in enumerate(moves):
            try:
                planned.append(
                    _plan_one(
                        children.get(child_id),
                        groups.get(group_id) if group_id is not None else None,
                        group_id,
                        existing.get(child_id),
                        effective_on=effective_on,
                        twice=child_id in seen,
                    )
                )
            except DomainError as refused:
                refusals.append((index, refused))
            seen.add(child_id)
        if refusals:
            raise ChildrenRefused(refusals, field="moves")
        fresh = [m for m in planned if m.id is None]
        for move in fresh:
            move.institution_id = institution_id
            move.planned_by = actor.user_id
            db.add(move)
        await db.flush()
    return planned


def _plan_one(
    child: Child | None,
    group: Group | None,
    group_id: uuid.UUID | None,
    existing: PlannedGroupMove | None,
    *,
    effective_on: date,
    twice: bool,
) -> PlannedGroupMove:
    if child is None:
        raise NotFound(field="childId")
    if twice:
        raise ValidationFailed("move_child_twice", field="childId")
    if group_id is not None:
        if group is None:
            raise NotFound(field="toGroupId")
        if not group.is_active:
            raise ValidationFailed("group_inactive", field="toGroupId")
    if existing is not None:
        if existing.to_group_id == group_id:
            return existing  # the same plan again
        raise Conflict("move_already_planned", field="childId")
    if child.active_until is not None and child.active_until < effective_on:
        raise ValidationFailed("child_not_enrolled", field="childId")
    if group_id is None:
        if effective_on - timedelta(days=1) < child.active_from:
            raise ValidationFailed("period_order", field="effectiveOn")
    elif child.group_id == group_id:
        raise ValidationFailed("move_already_in_group", field="toGroupId")
    return PlannedGroupMove(
        child_id=child.id,
        from_group_id=child.group_id,
        to_group_id=group_id,
        effective_on=effective_on,
        state="approved",
    )


async def cancel_group_moves(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, move_ids: Sequence[uuid.UUID]
) -> int:
    """Undo planned moves before their day (they are deleted: nothing happened yet)."""
    require_admin(actor, institution_id, field="institutionId")
    if len(move_ids) > MAX_MOVES:
        raise ValidationFailed("too_many", field="moveIds", max=MAX_MOVES)
    async with write_transaction(db):
        today = await institution_today(db, institution_id)
        rows = (
            await db.scalars(
                select(PlannedGroupMove).where(
                    PlannedGroupMove.institution_id == institution_id,
                    PlannedGroupMove.id.in_(set(move_ids)),
                )
            )
        ).all()
        if len(rows) != len(set(move_ids)):
            raise NotFound(field="moveIds")
        if any(m.state != "approved" or m.effective_on <= today for m in rows):
            raise ValidationFailed("move_no_longer_cancellable", field="moveIds")
        await db.execute(delete(PlannedGroupMove).where(PlannedGroupMove.id.in_(set(move_ids))))
    return len(rows)


async def planned_group_moves(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, include_done: bool = False
) -> list[PlannedMove]:
    """The institution's plans by date and child, for its admins (anyone else: none). Waiting
    plans only, or with `include_done` the applied and skipped ones too. One statement."""
    if not actor.is_admin(institution_id):
        return []
    statement = (
        select(PlannedGroupMove, Child, User.name)
        .join(Child, Child.id == PlannedGroupMove.child_id)
        .outerjoin(User, User.id == PlannedGroupMove.planned_by)
        .where(PlannedGroupMove.institution_id == institution_id)
        .order_by(PlannedGroupMove.effective_on, Child.last_name, Child.first_name, Child.id)
    )
    if not include_done:
        statement = statement.where(PlannedGroupMove.state == "approved")
    rows = await db.execute(statement)
    return [PlannedMove(move=m, child=c, planned_by_name=name) for m, c, name in rows.all()]


async def apply_due_moves(*, db: AsyncSession, institution_id: uuid.UUID, now: datetime) -> int:
    """The worker's part, in one transaction per institution: every approved plan whose day
    has come in the institution's time zone is applied and marked, so a second run finds
    nothing. A plan whose child left or whose group closed in the meantime is skipped."""
    async with write_transaction(db):
        zone = await db.scalar(select(Institution.timezone).where(Institution.id == institution_id))
        today = now.astimezone(ZoneInfo(zone or "Europe/Copenhagen")).date()
        rows = (
            await db.execute(
                select(PlannedGroupMove, Child)
                .join(Child, Child.id == PlannedGroupMove.child_id)
                .where(
                    PlannedGroupMove.institution_id == institution_id,
                    PlannedGroupMove.state == "approved",
                    PlannedGroupMove.effective_on <= today,
                )
                .order_by(PlannedGroupMove.effective_on, PlannedGroupMove.id)
                .with_for_update(of=PlannedGroupMove, skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        group_ids = {m.to_group_id for m, _ in rows if m.to_group_id is not None}
        active_groups = set(
            (
                await db.scalars(
                    select(Group.id).where(
                        Group.institution_id == institution_id,
                        Group.id.in_(group_ids),
                        Group.is_active.is_(True),
                    )
                )
            ).all()
        )
        changed: list[uuid.UUID] = []
        for move, child in rows:
            move.state = _apply(move, child, active_groups)
            move.applied_at = now
            if move.state == "applied":
                changed.append(child.id)
        if changed:
            await guardian_reach_changed(db, institution_id, changed)
    return len(rows)


def _apply(move: PlannedGroupMove, child: Child, active_groups: set[uuid.UUID]) -> str:
    if child.active_until is not None and child.active_until < move.effective_on:
        return "skipped"  # left before the day
    if move.to_group_id is None:
        last_day = move.effective_on - timedelta(days=1)
        if last_day < child.active_from:
            return "skipped"
        end_enrolment(child, last_day)
        return "applied"
    if move.to_group_id not in active_groups:
        return "skipped"
    place_in_group(child, move.to_group_id)
    return "applied"


async def group_moves_job(context: Any) -> int:
    """For `seddel worker`, hourly and idempotent: the first run of an institution's day
    applies the plans due that day. `context` is app.ops.jobs.JobContext."""
    async with context.sessions() as db:
        ids = await institution_ids(db)
    applied = 0
    for institution_id in ids:
        try:
            async with institution_session(context.sessions, institution_id) as db:
                applied += await apply_due_moves(
                    db=db, institution_id=institution_id, now=context.now
                )
        except Exception:
            log.exception("group moves failed for institution %s", institution_id)
    log.info("group moves: %d plans applied or skipped", applied)
    return applied
