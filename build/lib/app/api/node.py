"""node(id:) and nodes(ids:): answered exactly as the lists would, through each type's loader."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info
from strawberry.types.base import StrawberryObjectDefinition

from app.api.ids import try_decode
from app.api.permissions import IsAuthenticated
from app.core.errors import ValidationFailed

MAX_NODES = 100


async def _resolve(info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
    by_type: dict[str, list[tuple[int, str]]] = {}
    for position, raw in enumerate(ids):
        decoded = try_decode(raw)
        if decoded is not None:
            by_type.setdefault(decoded[0], []).append((position, str(decoded[1])))
    results: list[relay.Node | None] = [None] * len(ids)
    for type_name, wanted in by_type.items():
        node_type = _node_type(info, type_name)
        if node_type is None:
            continue  # unknown type: the same null as "not yours"
        pending: Any = node_type.resolve_nodes(
            info=info, node_ids=[node_id for _, node_id in wanted], required=False
        )
        found = await pending
        for (position, _), node in zip(wanted, found, strict=True):
            results[position] = node
    return results


def _node_type(info: Info, type_name: str) -> type[relay.Node] | None:
    definition = info.schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition):
        return None
    origin = definition.origin
    return origin if isinstance(origin, type) and issubclass(origin, relay.Node) else None


async def load_nodes(
    info: Info, batch: Any, node_ids: Iterable[str], of: Callable[[Any], Any]
) -> list[Any]:
    """A node type's resolve_nodes: its rows through its loader (the type's visibility rule,
    as the lists use it), None where not visible."""
    await info.context.actor()
    rows = await info.context.loaders.get(batch).load_many([uuid.UUID(i) for i in node_ids])
    return [of(row) if row is not None else None for row in rows]


def node_of(info: Info, type_name: str, row: Any) -> Any:
    """Another slice's GraphQL type for its row (`node_of(info, "Child", child)`), found in
    the assembled schema: slices refer to each other's types by name (strawberry.lazy in the
    annotation), never by importing each other's api. The type builds itself with `of(row)`."""
    definition = info.schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition):
        raise LookupError(f"no GraphQL object type named {type_name!r}")
    return definition.origin.of(row)


@strawberry.type
class NodeQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Any object by its global ID; null when it does not exist or is not yours.",
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return (await _resolve(info, [id]))[0]

    @strawberry.field(permission_classes=[IsAuthenticated], description="Up to 100 objects by ID.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise ValidationFailed("invalid_page_size", field="ids", max=MAX_NODES)
        return await _resolve(info, ids)
