"""Who sees a child's stays."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_

from app.attendance.presence.models import Presence
from app.core.actor import Actor


def visible_presences(actor: Actor) -> ColumnElement[bool]:
    """Stays: the institution's staff and admins (not a bare device), and the child's guardians."""
    institutions = frozenset() if actor.is_bare_device else actor.employed_in
    return or_(
        Presence.institution_id.in_(institutions),
        Presence.child_id.in_(actor.guardian_of),
    )
