"""The GraphQL contract the apps build against: nothing in `graphql/schema.graphql` breaks
`graphql/schema.released.graphql` (the schema of the last release) unless it was deprecated
in that release first. Cutting a release copies schema.graphql over schema.released.graphql
and adds a CHANGELOG.md section."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import GraphQLObjectType, GraphQLSchema, build_schema, find_breaking_changes

GRAPHQL = Path(__file__).resolve().parents[2] / "graphql"
_REMOVED_FIELD = re.compile(r"^Field (\w+)\.(\w+) was removed\.$")


def _deprecated_in(schema: GraphQLSchema, type_name: str, field_name: str) -> bool:
    named = schema.type_map.get(type_name)
    if not isinstance(named, GraphQLObjectType):
        return False
    field = named.fields.get(field_name)
    return field is not None and field.deprecation_reason is not None


def breaking_changes(released_sdl: str, current_sdl: str) -> list[str]:
    """What breaks a client of the released schema, less removals deprecated there first."""
    released, current = build_schema(released_sdl), build_schema(current_sdl)
    found = []
    for change in find_breaking_changes(released, current):
        removed = _REMOVED_FIELD.match(change.description)
        if removed and _deprecated_in(released, removed.group(1), removed.group(2)):
            continue
        found.append(f"{change.type.name}: {change.description}")
    return found


def test_the_schema_breaks_no_client_of_the_released_one():
    released = (GRAPHQL / "schema.released.graphql").read_text()
    current = (GRAPHQL / "schema.graphql").read_text()
    assert breaking_changes(released, current) == []


def test_the_gate_catches_a_removal_and_allows_a_deprecated_one():
    released = """
    type Query { me: String, old: String @deprecated(reason: "use me"), count(first: Int): Int }
    """
    removed_me = "type Query { old: String, count(first: Int): Int }"
    assert breaking_changes(released, removed_me) == ["FIELD_REMOVED: Field Query.me was removed."]
    removed_old = "type Query { me: String, count(first: Int): Int }"
    assert breaking_changes(released, removed_old) == []
    required_arg = "type Query { me: String, old: String, count(first: Int!): Int }"
    assert breaking_changes(released, required_arg) != []
