"""Lookups and input rules the institutions' use cases share, also borrowed by higher slices:
a row or NotFound, an admin's group or child, an active group, the institution's today, and
recording that a guardian's reach changed."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.institutions.events import GuardianReachChanged
from app.institutions.models import Child, Group, Institution
from app.institutions.policies import require_admin


async def institution_today(db: AsyncSession, institution_id: uuid.UUID) -> date:
    """ "Today" where the institution is, not where the server is."""
    institution: Institution = await get_row(db, Institution, institution_id, "institutionId")
    return datetime.now(ZoneInfo(institution.timezone)).date()


async def get_row(db: AsyncSession, model: Any, id_: uuid.UUID, field: str) -> Any:
    row = await db.get(model, id_)
    if row is None:
        raise NotFound(field=field)
    return row


async def admin_group(db: AsyncSession, actor: Actor, group_id: uuid.UUID, field: str) -> Group:
    group: Group = await get_row(db, Group, group_id, field)
    require_admin(actor, group.institution_id, field=field)
    return group


async def admin_child(db: AsyncSession, actor: Actor, child_id: uuid.UUID) -> Child:
    child: Child = await get_row(db, Child, child_id, "childId")
    require_admin(actor, child.institution_id, field="childId")
    return child


async def guardian_reach_changed(
    db: AsyncSession,
    institution_id: uuid.UUID,
    child_ids: list[uuid.UUID],
    user_id: uuid.UUID | None = None,
) -> None:
    """After a child moved or left, or a guardian link ended or lost access, in the same
    transaction: the slices that follow a guardian's reach (messaging participation) react."""
    await db.flush()
    await events.record(
        db,
        GuardianReachChanged(
            institution_id=institution_id, child_ids=tuple(child_ids), user_id=user_id
        ),
    )


async def active_group_in(
    db: AsyncSession, institution_id: uuid.UUID, group_id: uuid.UUID, field: str
) -> Group:
    group = await db.get(Group, group_id)
    if group is None or group.institution_id != institution_id:
        raise NotFound(field=field)
    if not group.is_active:
        raise ValidationFailed("group_inactive", field=field)
    return group
