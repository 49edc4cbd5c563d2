"""Read models of institutions for hot paths."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.institutions.models import Child, Group, Institution
from app.institutions.policies import visible_children, visible_groups, visible_institutions


@dataclass(frozen=True)
class MyPlaces:
    """Who asks, in rows: the institutions one belongs to, the children one guards and the
    groups one works in or one's children are in (each through its type's visibility rule)."""

    institutions: list[Institution]
    children: list[Child]
    groups: list[Group]


def my_institutions(actor: Actor) -> ColumnElement[bool]:
    """The institutions one belongs to (`me.institutions`)."""
    return and_(Institution.id.in_(actor.institution_ids), visible_institutions(actor))


def my_children(actor: Actor) -> ColumnElement[bool]:
    """The children one guards (`me.children`)."""
    return and_(Child.id.in_(actor.guardian_of), visible_children(actor))


def my_groups(actor: Actor, group_ids: Iterable[uuid.UUID]) -> ColumnElement[bool]:
    """Groups among `group_ids` one may see (`me.staffedGroups`: the groups one staffs)."""
    return and_(Group.id.in_(frozenset(group_ids)), visible_groups(actor))


async def my_places(db: AsyncSession, actor: Actor) -> MyPlaces:
    """`me`'s rows in one statement, whatever the family: one row per entity, each kind
    outer-joined on a constant of its own so that the kinds never multiply."""
    kinds = union_all(
        select(literal("institution").label("kind")),
        select(literal("child").label("kind")),
        select(literal("group").label("kind")),
    ).subquery()
    group_ids = actor.groups_staffed | actor.guarded_groups
    statement = (
        select(Institution, Child, Group)
        .select_from(kinds)
        .outerjoin(
            Institution,
            and_(kinds.c.kind == "institution", my_institutions(actor)),
        )
        .outerjoin(Child, and_(kinds.c.kind == "child", my_children(actor)))
        .outerjoin(Group, and_(kinds.c.kind == "group", my_groups(actor, group_ids)))
    )
    places = MyPlaces(institutions=[], children=[], groups=[])
    for institution, child, group in (await db.execute(statement)).tuples():
        if institution is not None:
            places.institutions.append(institution)
        if child is not None:
            places.children.append(child)
        if group is not None:
            places.groups.append(group)
    return places
