"""Reading the audit trail: the institution's admins page through it, newest first, of one
child or one person when they ask."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.actor import Actor
from app.core.errors import NotFound
from app.core.pagination import Page, paginate_rows
from app.privacy.audit.models import AuditTrailEntry
from app.privacy.audit.policies import may_read_audit_trail, visible_audit_trail


async def audit_trail(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    since: datetime,
    child_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[Any]:
    """One page of the institution's trail since `since`, newest first (admins only;
    NotFound for anyone else, as if the institution did not exist). One statement."""
    if not may_read_audit_trail(actor, institution_id):
        raise NotFound()
    trail = AuditTrailEntry
    statement = (
        select(
            trail.id,
            trail.at,
            trail.child_id,
            trail.user_id,
            User.name.label("person_name"),
            trail.role,
            trail.device_id,
            trail.kind,
            trail.action,
            trail.entity_type,
            trail.entity_id,
            trail.before,
            trail.after,
            trail.request_id,
            trail.operation,
        )
        .outerjoin(User, User.id == trail.user_id)
        .where(
            visible_audit_trail(actor),
            trail.institution_id == institution_id,
            trail.at >= since,
        )
    )
    if child_id is not None:
        statement = statement.where(trail.child_id == child_id)
    if person_id is not None:
        statement = statement.where(trail.user_id == person_id)
    return await paginate_rows(
        db, statement, order_by=[trail.at, trail.id], first=first, after=after, descending=True
    )
