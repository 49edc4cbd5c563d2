"""Who must sign in with a second factor: the institutions' rule, registered with the
accounts slice's step-up (app.accounts.service.step_up), imported by app.root.handlers.

An administrator of an institution must, unless its `require_second_factor_for_admins` is
turned off (it is on by default); a staff member must when their institution turns
`require_second_factor_for_staff` on (off by default). Guardians never must; they may enrol.
A requirement takes effect at the next login: a session that exists already goes on."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import step_up
from app.db import TENANT_IDS, TENANT_USER, rescope
from app.institutions.models import AdminMembership, Institution, StaffMembership
from app.institutions.service.settings import settings_from


@step_up.requirement
async def staff_and_admins(db: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether an institution the user administers or works in demands a second factor.
    Reads under the user's own scope (the login knows no tenant yet; on PostgreSQL row-level
    security admits exactly the user's memberships, then their institutions), and leaves
    the session's scope as it found it."""
    before = (db.info.get(TENANT_IDS), db.info.get(TENANT_USER))
    try:
        await rescope(db, institution_ids=(), user_id=user_id)
        roles = (
            await db.execute(
                union_all(
                    select(literal("admin").label("kind"), AdminMembership.institution_id).where(
                        AdminMembership.user_id == user_id, AdminMembership.is_active.is_(True)
                    ),
                    select(literal("staff"), StaffMembership.institution_id).where(
                        StaffMembership.user_id == user_id, StaffMembership.is_active.is_(True)
                    ),
                )
            )
        ).all()
        if not roles:
            return False
        tenants = {institution_id for _, institution_id in roles}
        await rescope(db, institution_ids=tenants, user_id=user_id)
        rows = await db.execute(
            select(Institution.id, Institution.settings).where(Institution.id.in_(tenants))
        )
        stored: dict[uuid.UUID, dict[str, Any]] = {row.id: row.settings for row in rows}
        for kind, institution_id in roles:
            settings = settings_from(stored.get(institution_id))
            if kind == "admin" and settings.require_second_factor_for_admins:
                return True
            if kind == "staff" and settings.require_second_factor_for_staff:
                return True
        return False
    finally:
        ids, user = before
        await rescope(db, institution_ids=ids or (), user_id=user)
