"""Batch loads of the pickup plan, each through the type's visibility rule:
(db, actor, keys) -> list aligned with keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.plans.models import PickupPlan
from app.attendance.plans.policies import child_name_for, visible_pickup_plans
from app.core.actor import Actor
from app.core.loading import aligned
from app.institutions.models import Child


async def pickup_plan_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[PickupPlan | None]:
    rows = await db.scalars(
        select(PickupPlan).where(PickupPlan.id.in_(keys), visible_pickup_plans(actor))
    )
    return aligned(rows.all(), keys)


async def child_name_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[str | None]:
    """The name of a child a visible plan names, as `child_name_for` lets the actor see it."""
    rows = (
        await db.execute(
            select(
                Child.id,
                Child.institution_id,
                Child.first_name,
                Child.last_name,
                Child.is_protected,
            ).where(Child.id.in_(keys), Child.institution_id.in_(actor.institution_ids))
        )
    ).all()
    names = {
        row.id: child_name_for(
            actor,
            child_id=row.id,
            institution_id=row.institution_id,
            first_name=row.first_name,
            last_name=row.last_name,
            is_protected=row.is_protected,
        )
        for row in rows
    }
    return [names.get(key) for key in keys]
