"""Batch loads, each through the type's visibility rule: (db, actor, keys) -> aligned list."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.actor import Actor
from app.core.loading import aligned, grouped
from app.institutions.models import (
    Child,
    Group,
    GuardianLink,
    Institution,
    StaffGroup,
    StaffMembership,
)
from app.institutions.policies import (
    visible_children,
    visible_groups,
    visible_guardian_links,
    visible_institutions,
    visible_staff,
)


async def institution_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[Institution | None]:
    rows = await db.scalars(
        select(Institution).where(Institution.id.in_(keys), visible_institutions(actor))
    )
    return aligned(rows.all(), keys)


async def group_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[Group | None]:
    rows = await db.scalars(select(Group).where(Group.id.in_(keys), visible_groups(actor)))
    return aligned(rows.all(), keys)


async def child_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[Child | None]:
    rows = await db.scalars(select(Child).where(Child.id.in_(keys), visible_children(actor)))
    return aligned(rows.all(), keys)


async def guardian_link_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[GuardianLink | None]:
    rows = await db.scalars(
        select(GuardianLink).where(GuardianLink.id.in_(keys), visible_guardian_links(actor))
    )
    return aligned(rows.all(), keys)


async def guardian_links_by_child(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[GuardianLink]]:
    rows = await db.scalars(
        select(GuardianLink)
        .where(GuardianLink.child_id.in_(keys), visible_guardian_links(actor))
        .order_by(GuardianLink.created_at, GuardianLink.id)
    )
    return grouped(rows.all(), keys, "child_id")


async def staff_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[StaffMembership | None]:
    rows = await db.scalars(
        select(StaffMembership).where(StaffMembership.id.in_(keys), visible_staff(actor))
    )
    return aligned(rows.all(), keys)


async def staff_by_institution(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[StaffMembership]]:
    rows = await db.scalars(
        select(StaffMembership)
        .join(User, User.id == StaffMembership.user_id)
        .where(StaffMembership.institution_id.in_(keys), visible_staff(actor))
        .order_by(User.name, StaffMembership.id)
    )
    return grouped(rows.all(), keys, "institution_id")


async def group_ids_by_staff(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[uuid.UUID]]:
    rows = (
        await db.execute(
            select(StaffGroup.staff_id, StaffGroup.group_id)
            .join(StaffMembership, StaffMembership.id == StaffGroup.staff_id)
            .where(StaffGroup.staff_id.in_(keys), visible_staff(actor))
        )
    ).all()
    by_staff: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for staff_id, group_id in rows:
        by_staff[staff_id].append(group_id)
    return [by_staff.get(key, []) for key in keys]


async def groups_by_institution(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[Group]]:
    rows = await db.scalars(
        select(Group)
        .where(Group.institution_id.in_(keys), Group.is_active.is_(True), visible_groups(actor))
        .order_by(Group.name, Group.id)
    )
    return grouped(rows.all(), keys, "institution_id")


async def user_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[User | None]:
    """Users are reached only through a visible membership row; this only fills in names."""
    rows = await db.scalars(select(User).where(User.id.in_(keys)))
    return aligned(rows.all(), keys)
