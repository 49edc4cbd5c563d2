"""Every change of a child's pickup plan kept: what the plan said, in words, and who changed
it when (and whether after the cut-off)."""

from __future__ import annotations

import uuid
from datetime import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.attendance.pickup.models import PickupPerson
from app.attendance.plans.models import PickupPlan, PickupPlanChange
from app.db import new_id
from app.institutions.models import Child


async def snapshot(db: AsyncSession, row: PickupPlan) -> dict[str, Any]:
    """What a plan says, in words, for the change history (names as they were then)."""
    person = await db.get(PickupPerson, row.pickup_person_id) if row.pickup_person_id else None
    guardian = await db.get(User, row.guardian_user_id) if row.guardian_user_id else None
    companion = await db.get(Child, row.companion_child_id) if row.companion_child_id else None

    def hhmm(value: time | None) -> str | None:
        return value.strftime("%H:%M") if value else None

    return {
        "leaveMode": row.leave_mode,
        "arrival": hhmm(row.arrival),
        "pickup": hhmm(row.pickup),
        "aloneUntil": hhmm(row.alone_until),
        "pickupPerson": person.name if person else None,
        "guardian": guardian.name if guardian else None,
        "companion": companion.first_name if companion else None,
        "companionStatus": row.companion_status,
        "note": row.note,
    }


def log_change(
    db: AsyncSession,
    changed_by: uuid.UUID,
    row: PickupPlan,
    action: str,
    details: dict[str, Any],
    *,
    after_cutoff: bool = False,
) -> PickupPlanChange:
    change = PickupPlanChange(
        id=new_id(),  # known before the flush: notifications name the change they tell of
        institution_id=row.institution_id,
        child_id=row.child_id,
        day=row.day,
        weekday=row.weekday,
        action=action,
        details=details,
        after_cutoff=after_cutoff,
        changed_by=changed_by,
    )
    db.add(change)
    return change
