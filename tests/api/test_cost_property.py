"""The cost limit never charges less than what a query returns: for generated queries over
the whole Query type, run against the demo data, the computed cost is at least the number of
objects in the response (``nodes(ids:)`` with 100 ids reads 100 objects, not one).

Bounded for CI; ``SEDDEL_FUZZ_EXAMPLES=2000`` runs longer."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import graphql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from app.root.schema import build_schema
from tests.client import GraphQLClient
from tests.messaging.util import demo

EXAMPLES = int(os.environ.get("SEDDEL_FUZZ_EXAMPLES", "150"))
READERS = ("admin@solsikken.example", "pernille@solsikken.example", "mette@example.com")
SEEN_BY = ("Inbox", "Announcements", "Me", "MyChildrenToday")


def objects_in(value: Any) -> int:
    """Every JSON object under a response's data is one object the server returned."""
    if isinstance(value, dict):
        return 1 + sum(objects_in(v) for v in value.values())
    if isinstance(value, list):
        return sum(objects_in(v) for v in value)
    return 0


def ids_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and isinstance(item, str):
                yield item
            else:
                yield from ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from ids_in(item)


async def _known_ids(client: GraphQLClient) -> list[str]:
    made = await demo(client)
    found = {made.institution, made.regnbuen, *made.groups.values(), *made.staff.values()}
    found |= {child["id"] for child in made.children.values()}
    for reader in READERS:
        for name in SEEN_BY:
            payload = await client.execute(name, {}, as_=reader)
            found.update(ids_in(payload.get("data")))
    return sorted(i for i in found if "-" not in i)  # global ids (a user's own id is a UUID)


def _scalars(ids: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    today = date.today()
    days = st.integers(-10, 10).map(lambda n: (today + timedelta(days=n)).isoformat())
    return {
        # Real ids, and lists of up to 100 of them: what makes `nodes(ids:)` dear.
        "ID": st.sampled_from(ids).map(lambda v: graphql.StringValueNode(value=v)),
        "Date": days.map(lambda v: graphql.StringValueNode(value=v)),
        "DateTime": days.map(lambda v: graphql.StringValueNode(value=f"{v}T08:00:00+00:00")),
        "Time": st.sampled_from(["08:00:00", "15:30:00"]).map(
            lambda v: graphql.StringValueNode(value=v)
        ),
    }


def _queries(schema: graphql.GraphQLSchema, ids: list[str]) -> st.SearchStrategy[str]:
    """One root field at a time (a query of many fails as a whole more often), and every list
    of ids stretched to up to 100 real ones: the multiplier the limit used to miss."""
    assert schema.query_type is not None
    scalars = _scalars(ids)
    many_ids = st.integers(1, 100).flatmap(
        lambda n: st.lists(st.sampled_from(ids), min_size=n, max_size=n)
    )
    return st.sampled_from(sorted(schema.query_type.fields)).flatmap(
        lambda field: st.tuples(
            queries(
                schema,
                fields=[field],
                custom_scalars=scalars,
                allow_x00=False,
                print_ast=lambda document: document,
            ),
            many_ids,
        ).map(lambda drawn: _stretch_id_lists(drawn[0], drawn[1], set(ids)))
    )


def _stretch_id_lists(document: graphql.DocumentNode, stretched: list[str], ids: set[str]) -> str:
    class Stretch(graphql.Visitor):
        def enter_list_value(self, node: graphql.ListValueNode, *_: Any) -> Any:
            items = node.values
            if items and all(
                isinstance(v, graphql.StringValueNode) and v.value in ids for v in items
            ):
                values = tuple(graphql.StringValueNode(value=v) for v in stretched)
                return graphql.ListValueNode(values=values)
            return None

    return graphql.print_ast(graphql.visit(document, Stretch()))


async def test_the_cost_is_never_below_the_objects_returned(runtime):
    # No limit here: the property is about the count, whatever the limit is set to.
    unlimited = dataclasses.replace(runtime.settings, max_query_cost=10**9, max_aliases=10**3)
    live = dataclasses.replace(runtime, settings=unlimited)
    schema = build_schema(unlimited)._schema
    loop = asyncio.get_running_loop()
    async with GraphQLClient.open(live) as client:
        ids = await _known_ids(client)
        assert len(ids) > 20
        for reader in READERS:
            await client.token_for(reader)
        checked: list[tuple[int, int]] = []

        async def run(query: str, reader: str) -> None:
            payload = await client.execute(None, query=query, as_=reader)  # type: ignore[arg-type]
            cost = payload.get("extensions", {}).get("cost")
            returned = sum(objects_in(v) for v in (payload.get("data") or {}).values())
            assert cost is not None, payload
            assert cost >= returned, (query, cost, returned)
            checked.append((cost, returned))

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        @given(data=st.data(), reader=st.sampled_from(READERS))
        def property_holds(data: st.DataObject, reader: str) -> None:
            query = data.draw(_queries(schema, ids))
            asyncio.run_coroutine_threadsafe(run(query, reader), loop).result()

        await asyncio.to_thread(property_holds)
        # Lists are read, not just nulls. The derandomized draws follow the schema (each new
        # root field shifts them, and may leave them all short), so one list of several is
        # read on purpose, under the same property.
        await run("{ me { children { id name } institutions { roles } } }", READERS[2])
    assert max(returned for _, returned in checked) > 2
