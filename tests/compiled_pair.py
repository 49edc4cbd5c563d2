"""Two clients over one database, compiled trusted documents on and off, to compare their
answers byte for byte (tests/api/test_compiled.py, tests/security/test_compiled_matrix.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from app.core.runtime import Runtime
from app.server import create_app
from tests.client import GraphQLClient


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
        self,
        operation: str,
        variables: dict[str, Any],
        *,
        as_: str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        if as_ is not None:
            token = await self.on.token_for(as_)
        body = {"operationName": operation, "variables": variables}
        compiled, resolved = await self.both(body, token, headers)
        assert compiled == resolved, (operation, variables, as_, compiled, resolved)
        return compiled


@asynccontextmanager
async def compiled_pair(client: GraphQLClient, runtime: Runtime) -> AsyncIterator[Pair]:
    """`client` (compiled documents on, the default) and the same application with them off."""
    off_settings = dataclasses.replace(runtime.settings, compiled_documents=False)
    off_runtime = dataclasses.replace(runtime, settings=off_settings)
    app = create_app(runtime=off_runtime)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as off:
        yield Pair(client, off)


def compiled_count(operation: str, path: str = "compiled") -> float:
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value(
        "seddel_graphql_compiled_total", {"operation": operation, "path": path}
    )
    return value or 0.0


def built_count(operation: str, how: str) -> float:
    """Compiled statements built for a shape of request, reused, or built per request."""
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value(
        "seddel_graphql_compiled_statements_total", {"operation": operation, "how": how}
    )
    return value or 0.0
