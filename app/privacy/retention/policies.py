"""Who sees and decides legal holds: the institution's admins, nobody else (not staff, not
guardians, not a paired device, not a municipality admin)."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false

from app.core.actor import Actor
from app.privacy.retention.models import LegalHold


def may_hold(actor: Actor, institution_id: uuid.UUID) -> bool:
    return not actor.is_bare_device and actor.is_admin(institution_id)


def visible_holds(actor: Actor) -> ColumnElement[bool]:
    """The holds this actor may read, as a filter (every read of holds goes through it)."""
    if actor.is_bare_device or not actor.admin_of:
        return false()
    return LegalHold.institution_id.in_(sorted(actor.admin_of))
