"""Who sees and manages pickup persons, and who reads the codeword."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, or_

from app.attendance.pickup.models import PickupPerson
from app.core.actor import Actor


def visible_pickup_persons(actor: Actor) -> ColumnElement[bool]:
    """Staff and admins of the institution, and the child's own guardians (with access)."""
    return or_(
        PickupPerson.institution_id.in_(actor.employed_in),
        PickupPerson.child_id.in_(actor.guardian_of),
    )


def can_manage_pickup(actor: Actor, child_id: uuid.UUID) -> bool:
    """Only a guardian with custody decides who may fetch the child."""
    access = actor.children.get(child_id)
    return access is not None and access.has_custody and access.access == "full"


def can_read_codeword(actor: Actor, institution_id: uuid.UUID) -> bool:
    return actor.works_in(institution_id)
