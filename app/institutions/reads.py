"""Read models of institutions for hot reads: `me`'s places in one statement, and for the hot
reads of other slices (a group's day, a child's day) the columns the Child and Institution
types show, as light rows instead of ORM entities. The visibility rules stay those of
policies.py (the other slices' callers apply them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.institutions.models import Child, Group, Institution
from app.institutions.policies import visible_children, visible_groups, visible_institutions

CHILD_COLUMNS = (
    Child.id,
    Child.institution_id,
    Child.group_id,
    Child.first_name,
    Child.last_name,
    Child.birth_date,
    Child.active_from,
    Child.active_until,
    Child.is_protected,
)
INSTITUTION_COLUMNS = (
    Institution.id,
    Institution.name,
    Institution.kind,
    Institution.timezone,
    Institution.opening_hours,
    Institution.settings,
)


@dataclass(frozen=True, slots=True)
class InstitutionRow:
    """What the Institution type shows (its lists load on their own)."""

    id: uuid.UUID
    name: str
    kind: str
    timezone: str
    opening_hours: dict[str, list[str]]
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GroupRow:
    """What the Group type shows."""

    id: uuid.UUID
    institution_id: uuid.UUID
    name: str
    is_active: bool


GROUP_COLUMNS = (Group.id, Group.institution_id, Group.name, Group.is_active)


@dataclass(frozen=True, slots=True)
class ChildRow:
    """What the Child type shows; `institution` when the read already holds it."""

    id: uuid.UUID
    institution_id: uuid.UUID
    group_id: uuid.UUID | None
    first_name: str
    last_name: str
    birth_date: date
    active_from: date
    active_until: date | None
    is_protected: bool
    institution: InstitutionRow | None = None


def child_columns(child: Any = Child) -> list[Any]:
    """CHILD_COLUMNS of `child` (the table or an alias of it), labelled child_<name>."""
    return [getattr(child, c.key).label(f"child_{c.key}") for c in CHILD_COLUMNS]


def child_of(row: Row[Any], institution: InstitutionRow | None = None) -> ChildRow:
    """The ChildRow of a row selected with child_columns()."""
    values = {c.key: getattr(row, f"child_{c.key}") for c in CHILD_COLUMNS}
    return ChildRow(**values, institution=institution)


def institution_columns() -> list[Any]:
    return [c.label(f"institution_{c.key}") for c in INSTITUTION_COLUMNS]


def institution_of(row: Row[Any]) -> InstitutionRow:
    """The InstitutionRow of a row selected with institution_columns()."""
    values = {c.key: getattr(row, f"institution_{c.key}") for c in INSTITUTION_COLUMNS}
    return InstitutionRow(**{key: _empty(key) if v is None else v for key, v in values.items()})


def _empty(key: str) -> Any:
    return {} if key in ("opening_hours", "settings") else ""


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


def my_groups(actor: Actor, group_ids: frozenset[uuid.UUID]) -> ColumnElement[bool]:
    """Groups among `group_ids` one may see (`me.staffedGroups`: the groups one staffs)."""
    return and_(Group.id.in_(group_ids), visible_groups(actor))


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
