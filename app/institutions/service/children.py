"""Children of an institution: the visible ones page by page, and enrolment by admins
(enrol, correct, move between groups, end). A move or an end also ends guardians' part in
message threads they took part in only through the child."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.core.pagination import Page, paginate
from app.core.values import clean_name
from app.db import write_transaction
from app.institutions.models import Child
from app.institutions.policies import visible_children
from app.institutions.service.lookups import (
    active_group_in,
    admin_child,
    admin_group,
    guardian_reach_changed,
    institution_today,
)


async def children_page(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    group_id: uuid.UUID | None = None,
    first: int | None,
    after: str | None,
) -> Page[Child]:
    """Children of an institution (or one of its groups), alphabetically, as far as visible."""
    statement = select(Child).where(Child.institution_id == institution_id, visible_children(actor))
    if group_id is not None:
        statement = statement.where(Child.group_id == group_id)
    return await paginate(
        db,
        statement,
        order_by=[Child.last_name, Child.first_name, Child.id],
        first=first,
        after=after,
    )


async def create_child(
    *,
    db: AsyncSession,
    actor: Actor,
    group_id: uuid.UUID,
    first_name: str,
    last_name: str,
    birth_date: date,
    active_from: date | None = None,
    is_protected: bool = False,
) -> Child:
    """Enrol a child in a group of the admin's institution."""
    async with write_transaction(db):
        group = await admin_group(db, actor, group_id, "groupId")
        if not group.is_active:
            raise ValidationFailed("group_inactive", field="groupId")
        today = await institution_today(db, group.institution_id)
        if birth_date > today:
            raise ValidationFailed("birth_date_future", field="birthDate")
        child = Child(
            institution_id=group.institution_id,
            group_id=group_id,
            first_name=clean_name(first_name, "firstName"),
            last_name=clean_name(last_name, "lastName"),
            birth_date=birth_date,
            active_from=active_from or today,
            is_protected=is_protected,
        )
        db.add(child)
    return child


async def update_child(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    first_name: str | None = None,
    last_name: str | None = None,
    birth_date: date | None = None,
    is_protected: bool | None = None,
) -> Child:
    """Correct a child's names, birth date or protection."""
    async with write_transaction(db):
        child = await admin_child(db, actor, child_id)
        today = await institution_today(db, child.institution_id)
        if first_name is not None:
            child.first_name = clean_name(first_name, "firstName")
        if last_name is not None:
            child.last_name = clean_name(last_name, "lastName")
        if birth_date is not None:
            if birth_date > today:
                raise ValidationFailed("birth_date_future", field="birthDate")
            child.birth_date = birth_date
        if is_protected is not None:
            child.is_protected = is_protected
    return child


async def move_child(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, group_id: uuid.UUID
) -> Child:
    """Move a child to another group of the same institution."""
    async with write_transaction(db):
        child = await admin_child(db, actor, child_id)
        await active_group_in(db, child.institution_id, group_id, "groupId")
        if place_in_group(child, group_id):
            await guardian_reach_changed(db, child.institution_id, [child.id])
    return child


def place_in_group(child: Child, group_id: uuid.UUID) -> bool:
    """The one move of a child (an admin's now, or a planned one the worker applies on its
    date, app.institutions.service.moves): whether it changed. The caller then records
    `guardian_reach_changed`, and the guardians' threads and the group inboxes follow."""
    if child.group_id == group_id:
        return False
    child.group_id = group_id
    return True


def end_enrolment(child: Child, last_day: date) -> None:
    """The one end of a child's enrolment (the history stays, retention counts from it)."""
    if last_day < child.active_from:
        raise ValidationFailed("period_order", field="lastDay")
    child.active_until = last_day


async def deactivate_child(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, last_day: date
) -> Child:
    """End a child's enrolment on `last_day` (the history stays)."""
    async with write_transaction(db):
        child = await admin_child(db, actor, child_id)
        end_enrolment(child, last_day)
        # A last day already past ends now; a later one is ended by the hourly job.
        await guardian_reach_changed(db, child.institution_id, [child.id])
    return child
