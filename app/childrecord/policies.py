"""Who reads and who edits a child's record (health data, GDPR Art. 9)."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement

from app.core.actor import Actor
from app.institutions.policies import visible_children


def readable_records(actor: Actor) -> ColumnElement[bool]:
    """A filter on children whose record the actor reads: the staff and admins of the
    child's institution, and the child's guardians with full or information access (links
    with access "none" never reach the Actor). Nobody else: not another institution's
    people, not a municipality admin, not a paired device with nobody switched in."""
    return visible_children(actor)


def can_edit_record(actor: Actor, child_id: uuid.UUID) -> bool:
    """Custody holders with full access; information-only guardians and staff read only."""
    access = actor.children.get(child_id)
    return access is not None and access.has_custody and access.access == "full"


def is_own_guardian(actor: Actor, child_id: uuid.UUID) -> bool:
    """The child's own guardians: their reads are not someone else's use of the data."""
    return child_id in actor.children
