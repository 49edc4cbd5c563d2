"""The test client: runs the named documents of graphql/operations/ as the apps do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from app.core.runtime import Runtime
from app.ops.demo import DEMO_PASSWORD
from app.server import create_app


class GraphQLError(AssertionError):
    pass


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.tokens: dict[str, str] = {}

    @classmethod
    @asynccontextmanager
    async def open(cls, runtime: Runtime) -> AsyncIterator[GraphQLClient]:
        app = create_app(runtime=runtime)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield cls(http)

    async def token_for(self, email: str, password: str = DEMO_PASSWORD) -> str:
        if email not in self.tokens:
            data = await self.gql("Login", {"email": email, "password": password})
            result = data["login"]
            assert result["__typename"] == "LoginSuccess", result
            self.tokens[email] = result["token"]
        return self.tokens[email]

    async def execute(
        self,
        operation: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: str | None = None,
        token: str | None = None,
        query: str | None = None,
    ) -> dict[str, Any]:
        """The raw response of a trusted document sent by name (or raw `query` text)."""
        headers = {}
        if as_ is not None:
            token = await self.token_for(as_)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body: dict[str, Any] = {"operationName": operation, "variables": variables or {}}
        if query is not None:
            body["query"] = query
        response = await self.http.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        payload: dict[str, Any] = response.json()
        return payload

    async def gql(
        self,
        operation: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: str | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """The data of a trusted document; top-level errors fail the test."""
        payload = await self.execute(operation, variables, as_=as_, token=token)
        if payload.get("errors"):
            raise GraphQLError(payload["errors"])
        data: dict[str, Any] = payload["data"]
        return data
