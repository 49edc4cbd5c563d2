"""Compiled trusted documents run on PostgreSQL only: on SQLite every request runs the resolvers."""

from __future__ import annotations

from tests.client import GraphQLClient
from tests.compiled_pair import compiled_count
from tests.conftest import is_postgres


async def test_compiled_only_on_postgresql(client: GraphQLClient) -> None:
    before = compiled_count("Me")
    me = await client.gql("Me", as_="mette@example.com")
    assert me["me"]["email"] == "mette@example.com"
    assert compiled_count("Me") - before == (1 if is_postgres() else 0)
