"""Who may ask for an export and read it: every person, for their own; a paired device
itself and a session that must enrol a second factor first, never. Nobody reads another's
export, an admin neither. The children's part is for custody holders only (as the access
log's)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false

from app.core.actor import Actor
from app.privacy.accesslog.policies import custody_children
from app.privacy.export.models import DataExport

__all__ = ["custody_children", "may_export", "visible_exports"]


def may_export(actor: Actor) -> bool:
    return not actor.is_bare_device and not actor.may_only_enrol


def visible_exports(actor: Actor) -> ColumnElement[bool]:
    """The exports this actor may read: their own."""
    if not may_export(actor):
        return false()
    return DataExport.user_id == actor.user_id
