"""Who reads and writes the daily log.

Reads: the institution's staff and admins; the child's guardians with access "full" or
"information" (links with "none" never reach the actor). Never other guardians.

Writes: every active staff member and admin of the child's institution, not only the staff
of the child's group. Groups are merged in the early and late hours and staff cover for each
other, and an incident on the shared playground is recorded by whoever saw it; reading is
institution-wide for staff already, so a narrower write rule would protect nothing and
leave gaps in the log. Every write names its author in the history."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, or_

from app.core.actor import Actor
from app.daybook.models import DayEntry


def visible_day_entries(actor: Actor) -> ColumnElement[bool]:
    """Staff see every entry of their institution (deleted ones too, for the history);
    guardians the current entries of their own children."""
    return or_(
        DayEntry.institution_id.in_(actor.employed_in),
        and_(DayEntry.child_id.in_(actor.guardian_of), DayEntry.deleted_at.is_(None)),
    )


def can_write_entries(actor: Actor, institution_id: uuid.UUID) -> bool:
    return actor.works_in(institution_id)


def can_see_history(actor: Actor, institution_id: uuid.UUID) -> bool:
    return actor.works_in(institution_id)


def can_read_child_day(actor: Actor, institution_id: uuid.UUID, child_id: uuid.UUID) -> bool:
    return actor.works_in(institution_id) or child_id in actor.children


def is_guardian_of(actor: Actor, child_id: uuid.UUID) -> bool:
    return child_id in actor.children
