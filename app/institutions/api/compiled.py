"""The compiled form of `Me` (app/api/compiled.py): one statement after the sign-in, from the
rules of `me`'s read model (app.institutions.reads: my_institutions, my_children, my_groups)
and the node types' visibility (the loaders' visible_groups / visible_institutions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Text, Uuid, case, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.sql.expression import Select

from app.api.compiled import (
    CompiledAnswer,
    CompiledRequest,
    Fields,
    Selection,
    as_text,
    global_id,
    json_list,
)
from app.core.actor import Actor
from app.core.shapes import bound
from app.institutions.models import Child, Group, Institution
from app.institutions.policies import visible_groups, visible_institutions
from app.institutions.reads import my_children, my_groups, my_institutions


def _by_name(column: Any) -> Any:
    """Python's sort of names (code points), whatever the database's collation."""
    return column.collate("C")


def institution_fields(table: Any) -> Fields:
    return {
        "id": lambda _: global_id("Institution", table.id),
        "name": lambda _: table.name,
        "kind": lambda _: table.kind,
        "timezone": lambda _: table.timezone,
    }


def institution_of(actor: Actor, institution_id: Any) -> Any:
    """`institution` of a child or group: the institution if one may see it, else null (its
    loader's rule)."""

    def sql(selection: Selection) -> ColumnElement[Any]:
        return (
            select(selection.object("Institution", institution_fields(Institution)))
            .where(Institution.id == institution_id, visible_institutions(actor))
            .scalar_subquery()
        )

    return sql


def group_fields(actor: Actor, table: Any) -> Fields:
    return {
        "id": lambda _: global_id("Group", table.id),
        "name": lambda _: table.name,
        "isActive": lambda _: table.is_active,
        "institution": institution_of(actor, table.institution_id),
    }


def _group_of(actor: Actor) -> Any:
    def sql(selection: Selection) -> ColumnElement[Any]:
        return (
            select(selection.object("Group", group_fields(actor, Group)))
            .where(Group.id == Child.group_id, visible_groups(actor))
            .scalar_subquery()
        )

    return sql


def child_fields(actor: Actor) -> Fields:
    return {
        "id": lambda _: global_id("Child", Child.id),
        "name": lambda _: func.concat(Child.first_name, " ", Child.last_name, type_=Text),
        "firstName": lambda _: Child.first_name,
        "lastName": lambda _: Child.last_name,
        "birthDate": lambda _: Child.birth_date,
        "isProtected": lambda _: Child.is_protected,
        "group": _group_of(actor),
        "institution": institution_of(actor, Child.institution_id),
    }


def _roles(actor: Actor) -> ColumnElement[Any]:
    """`Actor.roles_in(institution)`, in its order, as the Role enum's names."""
    kinds = [
        ("ADMIN", actor.admin_of),
        ("STAFF", actor.staff_of),
        ("GUARDIAN", actor.guardian_institutions),
        ("MUNICIPALITY_ADMIN", actor.municipality_institutions),
    ]
    cases = [
        case((Institution.id.in_(ids), literal_column(f"'{role}'", Text)))
        for role, ids in kinds
        if ids
    ]
    if not cases:
        return literal_column("'[]'::json")
    return func.array_to_json(func.array_remove(array(cases), None))


def _memberships(actor: Actor) -> Any:
    def sql(selection: Selection) -> ColumnElement[Any]:
        fields: Fields = {
            "roles": lambda _: _roles(actor),
            "institution": lambda inner: inner.object(
                "Institution", institution_fields(Institution)
            ),
        }
        item = selection.object("InstitutionMembership", fields)
        order = (_by_name(Institution.name), Institution.id)
        return select(json_list(item, *order)).where(my_institutions(actor)).scalar_subquery()

    return sql


def _children(actor: Actor) -> Any:
    def sql(selection: Selection) -> ColumnElement[Any]:
        item = selection.object("Child", child_fields(actor))
        order = (_by_name(Child.first_name), Child.id)
        return select(json_list(item, *order)).where(my_children(actor)).scalar_subquery()

    return sql


def _staffed_groups(actor: Actor) -> Any:
    def sql(selection: Selection) -> ColumnElement[Any]:
        item = selection.object("Group", group_fields(actor, Group))
        order = (_by_name(Group.name), Group.id)
        return (
            select(json_list(item, *order))
            .where(my_groups(actor, actor.groups_staffed))
            .scalar_subquery()
        )

    return sql


def _me(actor: Actor) -> Fields:
    return {
        "id": lambda _: cast(bound(actor.user_id, Uuid), Text),
        "name": lambda _: bound(actor.name, Text),
        "email": lambda _: bound(actor.email, Text),
        "phone": lambda _: bound(actor.phone, Text),
        "preferredLanguage": lambda _: bound(actor.language, Text),
        "institutions": _memberships(actor),
        "children": _children(actor),
        "staffedGroups": _staffed_groups(actor),
    }


class CompiledMe:
    name = "Me"

    def accepts(self, variables: Mapping[str, Any]) -> bool:
        return not variables

    def record(self, answered: CompiledAnswer) -> None:
        """`me` holds the roster entries of one's children (no child data of the log)."""

    def statement(self, request: CompiledRequest) -> Select[Any]:
        actor = request.actor
        me: Fields = {"me": lambda selection: selection.object("Me", _me(actor))}
        return as_text(request.compiler.root("Query", me))
