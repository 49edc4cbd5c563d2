"""Who sees and who keeps an institution's calendar."""

from __future__ import annotations

import uuid

from app.core.actor import Actor


def can_see_calendar(actor: Actor, institution_id: uuid.UUID) -> bool:
    """The institution's people: its staff and admins, the guardians of its children."""
    return institution_id in (actor.employed_in | actor.guardian_institutions)


def can_keep_calendar(actor: Actor, institution_id: uuid.UUID) -> bool:
    """Its administrators (a paired device never)."""
    return actor.is_admin(institution_id) and not actor.is_bare_device
