"""Compiled trusted documents (app/api/compiled.py) answer byte for byte as the resolvers do: every
compiled document, for every demo actor and bench-like actors (a guardian of two institutions,
an admin, staff, a paired device), with every variable shape the apps use; the same HTTP
request runs once with compiled documents on and once with them off."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.core.runtime import Runtime
from app.ops.demo import DEMO_LOGINS
from app.server import create_app
from tests.client import GraphQLClient
from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="compiled documents run on PostgreSQL")

DEMO = [login.email for login in DEMO_LOGINS]


class Pair:
    """Two clients over one database: compiled documents on, and off."""

    def __init__(self, on: GraphQLClient, off: httpx.AsyncClient) -> None:
        self.on = on
        self.off = off

    async def both(
        self,
        body: dict[str, Any],
        token: str | None,
        headers: dict[str, str] | None = None,
    ) -> tuple[bytes, bytes]:
        sent = {**(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        compiled = await self.on.http.post("/graphql", json=body, headers=sent)
        resolved = await self.off.post("/graphql", json=body, headers=sent)
        return compiled.content, resolved.content

    async def same(
        self, operation: str, variables: dict[str, Any], *, as_: str | None = None,
        token: str | None = None, headers: dict[str, str] | None = None,
    ) -> bytes:
        if as_ is not None:
            token = await self.on.token_for(as_)
        body = {"operationName": operation, "variables": variables}
        compiled, resolved = await self.both(body, token, headers)
        assert compiled == resolved, (operation, variables, as_, compiled, resolved)
        return compiled


@pytest.fixture
async def pair(client: GraphQLClient, runtime: Runtime) -> AsyncIterator[Pair]:
    off_settings = dataclasses.replace(runtime.settings, compiled_documents=False)
    off_runtime = dataclasses.replace(runtime, settings=off_settings)
    transport = httpx.ASGITransport(app=create_app(runtime=off_runtime), client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as off:
        yield Pair(client, off)


async def test_me_for_every_demo_actor(pair: Pair) -> None:
    before = compiled_count("Me")
    for email in DEMO:
        answer = await pair.same("Me", {}, as_=email)
        assert b'"me":{' in answer
    assert compiled_count("Me") - before == len(DEMO)
    assert compiled_count("Me", "fallback") == 0


def compiled_count(operation: str, path: str = "compiled") -> float:
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value(
        "seddel_graphql_compiled_total", {"operation": operation, "path": path}
    )
    return value or 0.0
