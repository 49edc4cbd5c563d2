"""Groups (stuer) of an institution: the visible ones, and their administration by admins
(names unique among active groups; a group closes once its children have moved)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import Conflict
from app.core.values import clean_name
from app.db import write_transaction
from app.institutions.models import Child, Group
from app.institutions.policies import require_admin, visible_groups
from app.institutions.service.lookups import admin_group


async def groups_of_institution(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, include_inactive: bool = False
) -> list[Group]:
    """The institution's groups this actor may see, by name."""
    statement = select(Group).where(Group.institution_id == institution_id, visible_groups(actor))
    if not include_inactive:
        statement = statement.where(Group.is_active.is_(True))
    return list((await db.scalars(statement.order_by(Group.name, Group.id))).all())


async def create_group(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, name: str
) -> Group:
    """A new group (stue) in the admin's institution; names are unique among active groups."""
    require_admin(actor, institution_id, field="institutionId")
    cleaned = clean_name(name, "name")
    async with write_transaction(db):
        await _ensure_unique_group_name(db, institution_id, cleaned, None)
        group = Group(institution_id=institution_id, name=cleaned)
        db.add(group)
    return group


async def _ensure_unique_group_name(
    db: AsyncSession, institution_id: uuid.UUID, name: str, except_id: uuid.UUID | None
) -> None:
    clash = await db.scalar(
        select(Group.id).where(
            Group.institution_id == institution_id,
            func.lower(Group.name) == name.lower(),
            Group.is_active.is_(True),
            Group.id != except_id if except_id else Group.id.is_not(None),
        )
    )
    if clash is not None:
        raise Conflict("duplicate_name", field="name")


async def update_group(*, db: AsyncSession, actor: Actor, group_id: uuid.UUID, name: str) -> Group:
    """Rename a group."""
    cleaned = clean_name(name, "name")
    async with write_transaction(db):
        group = await admin_group(db, actor, group_id, "groupId")
        await _ensure_unique_group_name(db, group.institution_id, cleaned, group.id)
        group.name = cleaned
    return group


async def deactivate_group(*, db: AsyncSession, actor: Actor, group_id: uuid.UUID) -> Group:
    """Close a group; its children must have been moved first."""
    async with write_transaction(db):
        group = await admin_group(db, actor, group_id, "groupId")
        remaining = await db.scalar(
            select(func.count())
            .select_from(Child)
            .where(Child.group_id == group.id, Child.active_until.is_(None))
        )
        if remaining:
            raise Conflict("group_has_children", field="groupId", count=remaining)
        group.is_active = False
    return group
