"""Batch loads of pickup persons through their visibility rule:
(db, actor, keys) -> list aligned with keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.pickup.models import PickupPerson
from app.attendance.pickup.policies import visible_pickup_persons
from app.core.actor import Actor
from app.core.loading import aligned


async def pickup_person_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[PickupPerson | None]:
    rows = await db.scalars(
        select(PickupPerson).where(PickupPerson.id.in_(keys), visible_pickup_persons(actor))
    )
    return aligned(rows.all(), keys)
