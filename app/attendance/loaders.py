"""Batch loads of the attendance domain, each through the type's visibility rule:
(db, actor, keys) -> list aligned with keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.models import PickupPerson, PickupPlan, VacationSurvey
from app.attendance.policies import (
    child_name_for,
    visible_pickup_persons,
    visible_pickup_plans,
    visible_vacation_surveys,
)
from app.core.actor import Actor
from app.core.loading import aligned
from app.institutions.models import Child

# --- pickup plan and vacation survey (h3-plan) -------------------------------------------------


async def pickup_person_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[PickupPerson | None]:
    rows = await db.scalars(
        select(PickupPerson).where(PickupPerson.id.in_(keys), visible_pickup_persons(actor))
    )
    return aligned(rows.all(), keys)


async def pickup_plan_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[PickupPlan | None]:
    rows = await db.scalars(
        select(PickupPlan).where(PickupPlan.id.in_(keys), visible_pickup_plans(actor))
    )
    return aligned(rows.all(), keys)


async def vacation_survey_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[VacationSurvey | None]:
    rows = await db.scalars(
        select(VacationSurvey).where(VacationSurvey.id.in_(keys), visible_vacation_surveys(actor))
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
