"""schemathesis over openapi/openapi.json against the app: every answer of every REST route
matches the document (status code, content type, body schema) and none is a server error,
for generated requests: anonymous, with made-up tokens and as signed-in people.

Bounded for CI; ``SEDDEL_FUZZ_EXAMPLES=1000`` runs longer."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.client import GraphQLClient

DOCUMENT = Path(
    os.environ.get(
        "SEDDEL_OPENAPI_DOC", Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
    )
)
EXAMPLES = int(os.environ.get("SEDDEL_FUZZ_EXAMPLES", "150"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PEOPLE = ("admin@solsikken.example", "mette@example.com")


def _as_httpx_files(files: Any) -> list[tuple[str, Any]] | None:
    """requests' multipart tuples as httpx takes them (generated values may be numbers)."""
    if not files:
        return None
    items = files.items() if isinstance(files, dict) else files
    converted = []
    for name, part in items:
        filename, value, *rest = part if isinstance(part, tuple) else (None, part)
        if not isinstance(value, str | bytes):
            value = str(value)
        converted.append((str(name), (filename, value, *rest)))
    return converted


async def _send(http: httpx.AsyncClient, request: dict[str, Any]) -> httpx.Response:
    files = _as_httpx_files(request.get("files"))
    response = await http.request(
        request["method"],
        request["url"],
        headers=request.get("headers"),
        params=request.get("params"),
        json=request.get("json"),
        data=request.get("data"),
        files=files,
        content=request.get("content"),
    )
    # schemathesis reads the request back for its report; a multipart body is a stream.
    response.request.read()
    return response


async def test_every_answer_matches_the_openapi_document(client: GraphQLClient) -> None:
    schema = schemathesis.openapi.from_path(str(DOCUMENT))
    tokens = [await client.token_for(person) for person in PEOPLE]
    cases = schema.as_strategy(GenerationMode.POSITIVE) | schema.as_strategy(
        GenerationMode.NEGATIVE
    )
    loop = asyncio.get_running_loop()
    statuses: set[int] = set()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    @given(case=cases, token=st.sampled_from([None, *tokens]))
    def matches(case: Any, token: str | None) -> None:
        request = case.as_transport_kwargs(base_url="http://testserver")
        if token is not None:
            request["headers"]["Authorization"] = f"Bearer {token}"
        response = asyncio.run_coroutine_threadsafe(_send(client.http, request), loop).result()

        statuses.add(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=request["headers"])

    await asyncio.to_thread(matches)
    # The run reached the routes' answers, not only their refusals.
    assert {200, 401, 404} <= statuses, statuses
