"""Who may read the audit trail: the admins of the institution, nobody else (not staff, not
guardians, not a municipality admin, not a device)."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false

from app.core.actor import Actor
from app.privacy.audit.models import AuditTrailEntry


def may_read_audit_trail(actor: Actor, institution_id: uuid.UUID) -> bool:
    return not actor.is_bare_device and actor.is_admin(institution_id)


def visible_audit_trail(actor: Actor) -> ColumnElement[bool]:
    """The rows this actor may read, as a filter (used by every read of the trail)."""
    if actor.is_bare_device or not actor.admin_of:
        return false()
    return AuditTrailEntry.institution_id.in_(sorted(actor.admin_of))
