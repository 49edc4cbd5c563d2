"""Who fetched the child at check-out: a guardian of the child, one of its authorised pickup
persons (valid that day), or anyone else, which staff may allow only with a reason (logged
by the caller)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.attendance.pickup.models import PickupPerson
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.institutions.models import Child, GuardianLink, Institution


@dataclass(frozen=True)
class PickedUpBy:
    """Who fetched the child: one of a guardian (their link), a pickup person, or a name."""

    guardian_link_id: uuid.UUID | None = None
    pickup_person_id: uuid.UUID | None = None
    other_name: str | None = None


async def who_picked_up(
    db: AsyncSession,
    child: Child,
    at: datetime,
    picked_up_by: PickedUpBy,
    override_reason: str | None,
) -> tuple[str, uuid.UUID | None, uuid.UUID | None, str]:
    """(kind, user, pickup person, name) of who fetched the child; strangers need a reason."""
    given = [
        x is not None for x in (picked_up_by.guardian_link_id, picked_up_by.pickup_person_id)
    ] + [bool((picked_up_by.other_name or "").strip())]
    if sum(given) != 1:
        raise ValidationFailed("pickup_person_required", field="pickedUpBy")
    if picked_up_by.guardian_link_id is not None:
        row = (
            await db.execute(
                select(GuardianLink.user_id, GuardianLink.child_id).where(
                    GuardianLink.id == picked_up_by.guardian_link_id
                )
            )
        ).first()
        if row is None or row.child_id != child.id:
            raise NotFound(field="pickedUpBy")
        user = await db.get(User, row.user_id)
        return "guardian", row.user_id, None, user.name if user else ""
    if picked_up_by.pickup_person_id is not None:
        person = await db.get(PickupPerson, picked_up_by.pickup_person_id)
        if person is None or person.institution_id != child.institution_id:
            raise NotFound(field="pickedUpBy")
        # Another child's pickup person is a stranger to this child: allowed only with a reason.
        day = await local_day(db, child.institution_id, at)
        valid = (
            person.child_id == child.id
            and (person.valid_from is None or person.valid_from <= day)
            and (person.valid_until is None or day <= person.valid_until)
        )
        if valid:
            return "pickup_person", None, person.id, person.name
        name = person.name
    else:
        name = " ".join((picked_up_by.other_name or "").split())[:200]
    reason = " ".join((override_reason or "").split())
    if not reason:
        raise Conflict("pickup_not_authorised", field="pickedUpBy")
    if len(reason) > 500:
        raise ValidationFailed("too_long", field="overrideReason", max=500)
    return "other", None, None, name


async def local_day(db: AsyncSession, institution_id: uuid.UUID, at: datetime) -> date:
    """The date of a moment in the institution's timezone."""
    institution = await db.get(Institution, institution_id)
    assert institution is not None
    return at.astimezone(ZoneInfo(institution.timezone)).date()
