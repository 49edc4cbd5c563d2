"""Batch loads of vacation surveys through their visibility rule:
(db, actor, keys) -> list aligned with keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.surveys.models import VacationSurvey
from app.attendance.surveys.policies import visible_vacation_surveys
from app.core.actor import Actor
from app.core.loading import aligned


async def vacation_survey_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[VacationSurvey | None]:
    rows = await db.scalars(
        select(VacationSurvey).where(VacationSurvey.id.in_(keys), visible_vacation_surveys(actor))
    )
    return aligned(rows.all(), keys)
