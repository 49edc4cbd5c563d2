"""Who reads a group's contact list and who decides what of themselves is on it."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, or_

from app.core.actor import Actor
from app.institutions.models import Child


def readable_group_children(actor: Actor) -> ColumnElement[bool]:
    """A filter on the children whose group's list the actor reads: the staff and admins of
    the institution, and the guardians of a child in the same group."""
    return or_(
        Child.institution_id.in_(actor.employed_in),
        Child.group_id.in_(actor.guarded_groups),
    )


def can_choose_sharing(actor: Actor, child_id: uuid.UUID) -> bool:
    """Each guardian of the child decides for themselves, with or without custody."""
    return child_id in actor.children
