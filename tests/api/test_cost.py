"""The query cost limit: nested connections multiply, and dear operations never run."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import strawberry
from graphql import parse
from strawberry.extensions import SchemaExtension, ValidationCache

from app.api.cost import QueryCostLimiter, query_cost


@strawberry.type
class Item:
    id: int

    @strawberry.field
    def children(self, info: strawberry.Info, first: int | None = None) -> list[Item]:
        info.context["calls"].append("children")
        return [Item(id=self.id * 100 + n) for n in range(first or 2)]


@strawberry.type
class Query:
    @strawberry.field
    def items(self, info: strawberry.Info, first: int | None = None) -> list[Item]:
        info.context["calls"].append("items")
        return [Item(id=n) for n in range(first or 2)]

    @strawberry.field
    def ping(self) -> str:
        return "pong"


ExtensionFactory = Callable[[], SchemaExtension] | type[SchemaExtension]


def schema_with(*extensions: ExtensionFactory) -> strawberry.Schema:
    return strawberry.Schema(Query, extensions=list(extensions))


def limited(max_cost: int = 1000, default_page_size: int = 20) -> strawberry.Schema:
    return schema_with(lambda: QueryCostLimiter(max_cost, default_page_size))


GRAPHQL_SCHEMA = schema_with()._schema


def cost_of(query: str, variables: dict[str, Any] | None = None, name: str | None = None) -> int:
    return query_cost(parse(query), variables, name, 20, schema=GRAPHQL_SCHEMA)


async def run(
    schema: strawberry.Schema,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> tuple[Any, list[str]]:
    calls: list[str] = []
    result = await schema.execute(
        query, variables, context_value={"calls": calls}, operation_name=operation_name
    )
    return result, calls


async def test_nested_connections_multiply_and_nothing_runs_over_the_limit() -> None:
    # items: 1 + 100 × (id 1 + children (1 + 20 × id 1)) = 2201
    query = "{ items(first: 100) { id children(first: 20) { id } } }"

    result, calls = await run(limited(max_cost=1000), query)

    assert result.data is None
    [error] = result.errors
    assert error.message == "Query cost 2201 exceeds the limit of 1000"
    assert error.extensions == {
        "code": "QUERY_TOO_COSTLY",
        "reason": "QUERY_TOO_COSTLY",
        "retryable": False,
        "cost": 2201,
        "maxCost": 1000,
    }
    assert calls == []
    assert result.extensions == {"cost": 2201}


async def test_a_small_query_runs_and_reports_its_cost() -> None:
    result, calls = await run(limited(), "{ items(first: 2) { id } }")

    assert result.errors is None
    assert result.data == {"items": [{"id": 0}, {"id": 1}]}
    assert result.extensions == {"cost": 3}
    assert calls == ["items"]


async def test_first_is_read_from_variables_and_their_defaults() -> None:
    query = "query Items($n: Int = 40) { items(first: $n) { id children(first: $n) { id } } }"
    schema = limited(max_cost=1000)

    small, _ = await run(schema, query, {"n": 3})
    large, calls = await run(schema, query, {"n": 40})
    defaulted, _ = await run(schema, query)

    assert small.errors is None
    assert small.extensions == {"cost": 1 + 3 * (2 + 3)}
    assert large.errors[0].extensions["cost"] == 1 + 40 * (2 + 40)
    assert calls == []
    assert defaulted.errors[0].extensions["code"] == "QUERY_TOO_COSTLY"


async def test_the_default_page_size_applies_when_first_is_absent_or_null() -> None:
    query = "{ items { id children(first: null) { id } } }"

    default, calls = await run(limited(max_cost=1000), query)
    larger, _ = await run(limited(max_cost=1000, default_page_size=50), query)

    assert default.errors is None
    assert default.extensions == {"cost": 1 + 20 * (2 + 20)}
    assert calls[0] == "items"
    assert larger.errors[0].extensions["cost"] == 1 + 50 * (2 + 50)


def test_without_a_schema_only_fields_passing_first_are_connections() -> None:
    document = parse("{ items { id children(first: 5) { id } } }")

    assert query_cost(document, None, None, 20) == 1 + 1 * (1 + 1 + 5 * 1)


async def test_named_and_inline_fragments_are_expanded() -> None:
    inline = "{ items(first: 10) { id children(first: 10) { id } } }"
    with_fragments = """
        query { items(first: 10) { ...ItemFields } }
        fragment ItemFields on Item { id ... on Item { children(first: 10) { ...Leaf } } }
        fragment Leaf on Item { id }
    """

    result, calls = await run(limited(max_cost=100), with_fragments)

    assert cost_of(inline) == cost_of(with_fragments) == 1 + 10 * (2 + 10)
    assert result.errors[0].extensions["cost"] == 121
    assert calls == []


async def test_fragment_cycles_are_priced_and_left_to_validation() -> None:
    query = """
        { items { ...A } }
        fragment A on Item { children { ...B } }
        fragment B on Item { children { ...A } }
    """

    result, calls = await run(limited(max_cost=10_000), query)

    assert result.errors[0].message.startswith("Cannot spread fragment 'A' within itself")
    assert calls == []


async def test_fragments_spread_twice_per_level_are_priced_in_linear_time() -> None:
    levels = 60
    fragments = "".join(
        f"fragment F{n} on Item {{ a: children(first: 1) {{ ...F{n + 1} }}"
        f" b: children(first: 1) {{ ...F{n + 1} }} }}\n"
        for n in range(levels)
    )
    query = f"{{ items(first: 1) {{ ...F0 }} }}\n{fragments}fragment F{levels} on Item {{ id }}"

    started = time.perf_counter()
    result, calls = await run(limited(), query)

    assert time.perf_counter() - started < 1
    assert result.errors[0].extensions["cost"] > 2**levels
    assert calls == []


async def test_introspection_and_typename_are_free() -> None:
    query = '{ __typename __schema { queryType { name } } __type(name: "Item") { name } }'

    result, _ = await run(limited(max_cost=0), query)

    assert result.errors is None
    assert result.data["__schema"] == {"queryType": {"name": "Query"}}
    assert result.extensions == {"cost": 0}


async def test_the_requested_operation_is_the_one_priced() -> None:
    query = """
        query Cheap { ping }
        query Dear { items(first: 100) { children(first: 100) { id } } }
    """

    cheap, _ = await run(limited(max_cost=10), query, operation_name="Cheap")
    dear, calls = await run(limited(max_cost=10), query, operation_name="Dear")

    assert cheap.data == {"ping": "pong"}
    assert cheap.extensions == {"cost": 1}
    assert dear.errors[0].extensions["cost"] == 1 + 100 * (1 + 100)
    assert calls == []
    assert cost_of(query) == 10101  # no name: the dearest operation is charged


@pytest.mark.parametrize("order", ["limiter first", "cache first"])
async def test_the_limit_holds_whatever_the_order_of_validation_cache(
    order: str,
) -> None:
    # ValidationCache overwrites pre_execution_errors: listed after the limiter, it
    # would clear the refusal, and on_execute must refuse instead.
    limiter: ExtensionFactory = lambda: QueryCostLimiter(max_cost=10)
    cache: ExtensionFactory = lambda: ValidationCache(maxsize=8)
    schema = (
        schema_with(limiter, cache) if order == "limiter first" else schema_with(cache, limiter)
    )

    result, calls = await run(schema, "{ items(first: 50) { id } }")

    assert result.data is None
    assert result.errors[0].extensions["code"] == "QUERY_TOO_COSTLY"
    assert calls == []


@strawberry.type
class Node:
    id: int
    tags: list[str]

    @strawberry.field
    def neighbours(self) -> list[Node]:
        return [Node(id=self.id + n, tags=[]) for n in range(3)]


@strawberry.type
class Page:
    nodes: list[Node]
    total: int


@strawberry.input
class Filter:
    ids: list[int]
    names: list[str] | None = None


@strawberry.type
class ListQuery:
    @strawberry.field
    def nodes(self, ids: list[int]) -> list[Node | None]:
        return [Node(id=i, tags=[]) for i in ids]

    @strawberry.field
    def search(self, filter: Filter) -> list[Node]:
        return [Node(id=i, tags=[]) for i in filter.ids]

    @strawberry.field
    def page(self, first: int | None = None, last: int | None = None) -> Page:
        return Page(nodes=[], total=0)


LIST_SCHEMA = strawberry.Schema(ListQuery)._schema


def list_cost(query: str, variables: dict[str, Any] | None = None) -> int:
    return query_cost(parse(query), variables, None, 20, schema=LIST_SCHEMA, assumed_list_size=10)


def test_a_list_of_ids_multiplies_what_is_selected_for_each() -> None:
    ids = list(range(100))
    one = list_cost("query Q($ids: [Int!]!) { nodes(ids: $ids) { id } }", {"ids": [1]})
    hundred = list_cost("query Q($ids: [Int!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    literal = list_cost(f"{{ nodes(ids: {ids}) {{ id }} }}")
    assert (one, hundred, literal) == (2, 1 + 100, 1 + 100)


def test_lists_inside_input_objects_multiply_by_all_their_items() -> None:
    assert list_cost('{ search(filter: {ids: [1, 2, 3], names: ["a"]}) { id } }') == 1 + 4
    assert list_cost("{ search(filter: {ids: []}) { id } }") == 1 + 1


def test_first_and_last_size_a_connection_whose_lists_are_that_page() -> None:
    # page: 1 + 7 × (nodes 1 + 1 × (id 1) + total 1): edges/nodes are the page, not × 10 again
    assert list_cost("{ page(first: 7) { nodes { id } total } }") == 1 + 7 * 3
    assert list_cost("{ page(last: 9) { nodes { id } } }") == 1 + 9 * 2
    assert list_cost("{ page(first: 2, last: 5) { total } }") == 1 + 5 * 1
    assert list_cost("{ page { total } }") == 1 + 20 * 1


def test_a_list_without_a_size_is_charged_its_assumed_size() -> None:
    # nodes: 1 + 1 × (neighbours: 1 + 10 × (id 1)); a list of scalars is one value
    assert list_cost("{ nodes(ids: [1]) { neighbours { id } tags } }") == 1 + 1 * (11 + 1)


def test_every_object_costs_at_least_one_even_when_only_its_typename_is_asked() -> None:
    assert list_cost("{ nodes(ids: [1, 2, 3]) { __typename } }") == 1 + 3 * 1


def test_every_trusted_document_fits_the_default_limit_at_its_largest_page() -> None:
    from app.config import Settings
    from app.core.pagination import MAX_PAGE_SIZE
    from app.root.schema import build_schema, trusted_documents

    settings = Settings()
    schema = build_schema(settings)._schema
    for document in trusted_documents():
        variables = {"first": MAX_PAGE_SIZE, "last": MAX_PAGE_SIZE}
        cost = query_cost(document.document, variables, document.name, schema=schema)
        assert cost <= settings.max_query_cost, (document.name, cost)
