"""An institution's paired staff tablets, seen from its staff: who may switch in on a tablet,
and switching in (who is staff here; the PIN and the tablet session are app.accounts')."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuthSession, User
from app.accounts.service import devices as account_devices
from app.config import Settings
from app.core.actor import Actor
from app.core.errors import NotFound
from app.institutions.models import StaffMembership


async def tablet_staff(*, db: AsyncSession, actor: Actor) -> list[Any]:
    """On a paired staff tablet: the institution's active staff, (id, name) by name; nothing
    for anyone else."""
    device = actor.device
    if device is None or not actor.is_bare_device or device.role != "staff_tablet":
        return []
    rows = await db.execute(
        select(StaffMembership.id, User.name)
        .join(User, User.id == StaffMembership.user_id)
        .where(
            StaffMembership.institution_id == device.institution_id,
            StaffMembership.is_active.is_(True),
        )
        .order_by(User.name, StaffMembership.id)
    )
    return list(rows.all())


async def switch_tablet_user(
    *,
    db: AsyncSession,
    settings: Settings,
    actor: Actor,
    staff_id: uuid.UUID,
    pin: str,
) -> tuple[str, AuthSession, User]:
    """On a paired staff tablet, a staff member of its institution switches in with their PIN.
    Whoever was switched in before on this tablet is switched out."""
    device = actor.device
    if device is None or not actor.is_bare_device or device.role != "staff_tablet":
        raise NotFound(field="staffId")
    staff_user_id = await db.scalar(
        select(StaffMembership.user_id).where(
            StaffMembership.id == staff_id,
            StaffMembership.institution_id == device.institution_id,
            StaffMembership.is_active.is_(True),
        )
    )
    if staff_user_id is None:
        raise NotFound(field="staffId")
    return await account_devices.open_tablet_session(
        db=db, settings=settings, device=device, user_id=staff_user_id, pin=pin
    )
