"""Who may read the access log: a child's custody holders (their child's rows) and the admins
of the institution (every row of it, filterable by person). Nobody else: not staff, not an
information-only guardian, not a municipality admin."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, false, or_

from app.core.actor import Actor
from app.privacy.accesslog.models import AccessLogEntry


def custody_children(actor: Actor) -> frozenset[uuid.UUID]:
    return frozenset(c.child_id for c in actor.children.values() if c.has_custody)


def may_read_child_log(actor: Actor, *, child_id: uuid.UUID, institution_id: uuid.UUID) -> bool:
    return child_id in custody_children(actor) or actor.is_admin(institution_id)


def visible_access_log(actor: Actor) -> ColumnElement[bool]:
    """The rows this actor may read, as a filter (used by every read of the log)."""
    if actor.is_bare_device:
        return false()
    mine = custody_children(actor)
    their_institutions = sorted({c.institution_id for c in actor.children.values()})
    return or_(
        AccessLogEntry.institution_id.in_(sorted(actor.admin_of)) if actor.admin_of else false(),
        and_(
            AccessLogEntry.institution_id.in_(their_institutions),
            AccessLogEntry.child_id.in_(sorted(mine)),
        )
        if mine
        else false(),
    )
