"""Who may see and do what, as pure predicates and as SQL filters for lists and loaders."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, false, or_

from app.core.actor import Actor
from app.core.errors import NotFound
from app.institutions.models import (
    Child,
    Group,
    GuardianLink,
    Institution,
    StaffMembership,
)


def visible_institutions(actor: Actor) -> ColumnElement[bool]:
    return Institution.id.in_(actor.institution_ids) if actor.institution_ids else false()


def visible_groups(actor: Actor) -> ColumnElement[bool]:
    """Staff and admins see every group of their institution; guardians their children's."""
    return or_(
        Group.institution_id.in_(actor.employed_in | actor.municipality_institutions),
        Group.id.in_(actor.guarded_groups),
    )


def visible_children(actor: Actor) -> ColumnElement[bool]:
    """Staff and admins see the children of their institution; guardians their own."""
    return or_(Child.institution_id.in_(actor.employed_in), Child.id.in_(actor.guardian_of))


def visible_guardian_links(actor: Actor) -> ColumnElement[bool]:
    """Staff and admins see every link of their institution; a guardian sees their own."""
    return or_(
        GuardianLink.institution_id.in_(actor.employed_in),
        and_(GuardianLink.user_id == actor.user_id, GuardianLink.access != "none"),
    )


def visible_staff(actor: Actor) -> ColumnElement[bool]:
    """Colleagues see each other; guardians see the active staff of their children's places."""
    return or_(
        StaffMembership.institution_id.in_(actor.employed_in),
        and_(
            StaffMembership.institution_id.in_(actor.guardian_institutions),
            StaffMembership.is_active.is_(True),
        ),
    )


def can_see_child(actor: Actor, child: Child) -> bool:
    return actor.works_in(child.institution_id) or child.id in actor.children


def can_see_contact_details(actor: Actor, institution_id: uuid.UUID) -> bool:
    """Emails and phone numbers of guardians and staff: for the institution's own people."""
    return actor.works_in(institution_id)


def require_admin(actor: Actor, institution_id: uuid.UUID, *, field: str | None = None) -> None:
    """Not being an admin looks exactly like the institution not existing."""
    if not actor.is_admin(institution_id):
        raise NotFound(field=field)
