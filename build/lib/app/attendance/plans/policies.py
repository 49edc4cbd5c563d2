"""Who plans for a child, who sees its plan, and the names of the children a plan names."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, or_

from app.attendance.pickup.policies import can_manage_pickup
from app.attendance.plans.models import PickupPlan
from app.core.actor import Actor


def custody_children(actor: Actor) -> frozenset[uuid.UUID]:
    """Children for whom the actor is a guardian with custody and full access."""
    return frozenset(
        child_id
        for child_id, access in actor.children.items()
        if access.has_custody and access.access == "full"
    )


def can_plan_for(actor: Actor, child_id: uuid.UUID, institution_id: uuid.UUID) -> bool:
    """Staff of the child's institution, or a guardian with custody and full access."""
    return actor.works_in(institution_id) or can_manage_pickup(actor, child_id)


def can_see_plan_of(actor: Actor, child_id: uuid.UUID, institution_id: uuid.UUID) -> bool:
    """Staff of the child's institution and the child's own guardians (with access)."""
    return actor.works_in(institution_id) or child_id in actor.children


def visible_pickup_plans(actor: Actor) -> ColumnElement[bool]:
    """Staff of the institution, the child's guardians, and the custody guardians of a
    companion child (who must answer the request)."""
    return or_(
        PickupPlan.institution_id.in_(actor.employed_in),
        PickupPlan.child_id.in_(actor.guardian_of),
        PickupPlan.companion_child_id.in_(custody_children(actor)),
    )


def child_name_for(
    actor: Actor,
    *,
    child_id: uuid.UUID,
    institution_id: uuid.UUID,
    first_name: str,
    last_name: str,
    is_protected: bool,
) -> str | None:
    """The name of a child a visible plan names (the companion, or the child asking a
    companion's guardian). Staff and the child's guardians see the full name; other families
    only the first name, and nothing of a child under name protection."""
    if actor.works_in(institution_id) or child_id in actor.children:
        return f"{first_name} {last_name}"
    return None if is_protected else first_name
