"""Persisted documents as real client libraries send them, against the whole app on a real
port (uvicorn in this event loop, on the test's rolled-back runtime): Python's `gql` over
HTTP and websockets, Node's `graphql-ws`, and Apollo Client's persisted-query link under
Node. The Node packages are installed (pinned, once, into a cache directory) by the test.

In production only trusted documents run: by their hash, by Apollo's hash of the form its
cache sends (`__typename` added), by Relay's `doc_id`, and over graphql-transport-ws by the
subscribe payload's extensions. In development Apollo's automatic persisted queries register
any valid document."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from websockets.typing import Subprotocol

from app.api.trusted import TrustedDocuments
from app.core.runtime import Runtime
from app.ops.demo import DEMO_PASSWORD
from app.root.schema import trusted_documents
from tests.api.test_live_revocation import (
    METTE,
    TIMEOUT,
    Broker,
    _message,
    _server,
    _settled,
    _thread,
)
from tests.client import GraphQLClient

CLIENTS = Path(__file__).parent / "clients"
# Pinned like the Python dependencies; the cache directory is named after this list.
NODE_PACKAGES = (
    "graphql@16.9.0",
    "graphql-ws@5.16.0",
    "ws@8.18.0",
    "@apollo/client@3.11.8",
)
DOCUMENTS = TrustedDocuments()


def persisted(sha256: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def trusted(name: str) -> Any:
    document = DOCUMENTS.by_name(name)
    assert document is not None, name
    return document


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The pinned Node packages, installed once per version list (CI: once per run)."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("npm/node is not installed: the Node client tests need them")
    spec = hashlib.sha256(" ".join(NODE_PACKAGES).encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "seddel-node-clients"
    target = cache / spec
    if not (target / "node_modules" / ".installed").exists():
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=cache))
        (staging / "package.json").write_text('{"private": true}\n')
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", *NODE_PACKAGES],
            cwd=staging,
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
        )
        (staging / "node_modules" / ".installed").touch()
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target / "node_modules"


async def node(node_modules: Path, script: str, *args: str) -> Any:
    process = await asyncio.create_subprocess_exec(
        "node",
        str(CLIENTS / script),
        *args,
        env={**os.environ, "NODE_PATH": str(node_modules)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), TIMEOUT * 3)
    assert process.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def fresh_trusted_documents() -> None:
    trusted_documents.cache_clear()  # hashes adopted by one test's server stay out of the next


@pytest.fixture
def broker(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Broker:
    return Broker(runtime, monkeypatch)


@asynccontextmanager
async def serving(runtime: Runtime, *, production: bool) -> AsyncIterator[str]:
    settings = dataclasses.replace(runtime.settings, production=production)
    async with _server(dataclasses.replace(runtime, settings=settings)) as base:
        yield base


async def login(base: str, email: str) -> str:
    """Signs in over HTTP by the Login document's hash, as `gql` sends it."""
    login = trusted("Login")
    transport = HTTPXAsyncTransport(url=f"http://{base}/graphql")
    async with Client(transport=transport) as session:
        result = await session.execute(
            GraphQLRequest(
                login.text,
                variable_values={"email": email, "password": DEMO_PASSWORD, "deviceLabel": "gql"},
                operation_name="Login",
                extensions=persisted(login.sha256),
            )
        )
    assert result["login"]["__typename"] == "LoginSuccess", result
    token: str = result["login"]["token"]
    return token


# --- Python gql ------------------------------------------------------------------------------


async def test_gql_over_http_runs_trusted_documents_by_hash_and_nothing_else_in_production(
    runtime: Runtime,
) -> None:
    me = trusted("Me")
    async with serving(runtime, production=True) as base:
        token = await login(base, METTE)
        transport = HTTPXAsyncTransport(
            url=f"http://{base}/graphql", headers={"Authorization": f"Bearer {token}"}
        )
        async with Client(transport=transport) as session:
            by_hash = await session.execute(
                GraphQLRequest(me.text, operation_name="Me", extensions=persisted(me.sha256))
            )
            with pytest.raises(TransportQueryError) as raw_text:
                await session.execute(GraphQLRequest("query Me { me { id email } }"))

    assert by_hash["me"]["email"] == METTE
    assert raw_text.value.errors is not None
    assert raw_text.value.errors[0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"


async def test_gql_over_websockets_subscribes_by_the_hash_in_the_payloads_extensions(
    client: GraphQLClient, connection: Any, runtime: Runtime, broker: Broker
) -> None:
    target = await _thread(client)
    thread_messages = trusted("ThreadMessages")
    async with serving(runtime, production=True) as base:
        token = await login(base, METTE)
        await _settled(connection)
        transport = WebsocketsTransport(
            url=f"ws://{base}/graphql",
            init_payload={"Authorization": f"Bearer {token}"},
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        )
        async with Client(transport=transport) as session:
            request = GraphQLRequest(
                thread_messages.text,
                variable_values=target["variables"],
                operation_name="ThreadMessages",
                extensions=persisted(thread_messages.sha256),
            )
            events = session.subscribe(request)
            first = asyncio.ensure_future(anext(events))
            await _listening(broker, before=0)
            await broker.after(_message(client, target))
            event = await asyncio.wait_for(first, TIMEOUT)
            await events.aclose()  # type: ignore[attr-defined]

    assert event["threadMessages"]["body"] == "Og en til"


async def _listening(broker: Broker, *, before: int) -> None:
    for _ in range(TIMEOUT * 100):
        if len(broker.listened) > before:
            await asyncio.sleep(0.05)
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription never listened")


# --- HTTP conventions: Relay's doc_id, hashed GETs ---------------------------------------------


async def test_relay_doc_id_and_hashed_gets_with_any_accept_run_in_production(
    runtime: Runtime,
) -> None:
    me = trusted("Me")
    async with serving(runtime, production=True) as base:
        token = await login(base, METTE)
        async with httpx.AsyncClient(
            base_url=f"http://{base}", headers={"Authorization": f"Bearer {token}"}
        ) as http:
            relay_post = await http.post("/graphql", json={"doc_id": me.sha256, "variables": {}})
            document_id = await http.post(
                "/graphql", json={"documentId": f"sha256:{me.sha256}", "operationName": "Me"}
            )
            get_any = await http.get(
                "/graphql",
                params={"extensions": json.dumps(persisted(me.sha256)), "operationName": "Me"},
                headers={"Accept": "*/*"},
            )
            get_relay = await http.get("/graphql", params={"doc_id": me.sha256})
            unknown = await http.get(
                "/graphql",
                params={"extensions": json.dumps(persisted("0" * 64))},
                headers={"Accept": "*/*"},
            )
            bare = await http.get("/graphql", headers={"Accept": "*/*"})

    for response in (relay_post, document_id, get_any, get_relay):
        assert response.status_code == 200, response.text
        assert response.json()["data"]["me"]["email"] == METTE
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert bare.status_code == 404  # no GraphQL request and no IDE in production


# --- Node graphql-ws -----------------------------------------------------------------------------


# graphql-ws (5.x) insists on a string `query` in what it sends: "" or the hash itself (its
# persisted-query recipe).
@pytest.mark.parametrize("convention", ["extensions", "doc_id", "hash as query"])
async def test_node_graphql_ws_subscribes_by_hash(
    client: GraphQLClient,
    connection: Any,
    runtime: Runtime,
    broker: Broker,
    node_modules: Path,
    convention: str,
) -> None:
    target = await _thread(client)
    document = trusted("ThreadMessages")
    payload: dict[str, Any] = {"operationName": "ThreadMessages", "variables": target["variables"]}
    payload |= {
        "extensions": {"query": "", "extensions": persisted(document.sha256)},
        "doc_id": {"query": "", "doc_id": document.sha256},
        "hash as query": {"query": f"sha256:{document.sha256}"},
    }[convention]
    async with serving(runtime, production=True) as base:
        token = await login(base, METTE)
        await _settled(connection)
        subscriber = asyncio.ensure_future(
            node(
                node_modules,
                "graphql_ws_subscribe.cjs",
                f"ws://{base}/graphql",
                token,
                json.dumps(payload),
            )
        )
        await _listening(broker, before=0)
        await broker.after(_message(client, target))
        printed = await subscriber

    assert printed["next"]["data"]["threadMessages"]["body"] == "Og en til", printed


async def test_node_graphql_ws_gets_persisted_query_not_found_for_an_unknown_hash(
    runtime: Runtime, node_modules: Path
) -> None:
    async with serving(runtime, production=True) as base:
        printed = await node(
            node_modules,
            "graphql_ws_subscribe.cjs",
            f"ws://{base}/graphql",
            "",
            json.dumps({"query": "", "extensions": persisted("0" * 64)}),
        )

    [error] = printed["error"]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


# --- Apollo Client's persisted-query link -------------------------------------------------------


def _hashes(step: dict[str, Any]) -> list[str | None]:
    return [
        ((request["extensions"] or {}).get("persistedQuery") or {}).get("sha256Hash")
        for request in step["requests"]
    ]


async def test_apollo_persisted_queries_in_production(runtime: Runtime, node_modules: Path) -> None:
    me, login_document = trusted("Me"), trusted("Login")
    # An app whose own copy of Login lists the fragment first: Apollo prints it that way,
    # so its hash is none of ours; the full-text retry is recognised as the trusted Login.
    fragment_first = "\n".join(
        sorted(login_document.text.split("\n\n"), key=lambda part: not part.startswith("fragment"))
    )
    steps = [
        {"text": me.text},
        {"text": me.text, "get": True},
        {
            "text": fragment_first,
            "variables": {"email": METTE, "password": "wrong", "deviceLabel": "apollo"},
        },
        {
            "text": fragment_first,
            "variables": {"email": METTE, "password": "wrong", "deviceLabel": "apollo"},
        },
        {"text": "query Sneaky { me { id email } }"},
    ]
    async with serving(runtime, production=True) as base:
        token = await login(base, METTE)
        results = await node(
            node_modules, "apollo_persisted.cjs", f"http://{base}/graphql", token, json.dumps(steps)
        )
    by_post, by_get, retried, remembered, sneaky = results

    # Apollo's hash of a trusted document is known: one request, no text.
    apollo_me = DOCUMENTS.apollo_form("Me").sha256
    assert _hashes(by_post) == [apollo_me] and by_post["requests"][0]["query"] is None
    assert by_post["data"]["me"]["email"] == METTE
    assert by_post["data"]["me"]["__typename"] == "Me"  # Apollo's form asks for it
    # Apollo's hashed GET says `Accept: */*`: a GraphQL request, not the IDE page (nor 404).
    assert [(r["method"], r["accept"], r["query"]) for r in by_get["requests"]] == [
        ("GET", "*/*", None)
    ]
    assert by_get["data"]["me"]["email"] == METTE
    # Another printing: not found, retried with the text, accepted and remembered.
    assert [r["query"] is not None for r in retried["requests"]] == [False, True]
    assert retried["data"]["login"]["code"] == "INVALID_CREDENTIALS", retried
    assert [r["query"] is not None for r in remembered["requests"]] == [False]
    # A document that is not trusted: the retry is refused.
    assert len(sneaky["requests"]) == 2
    assert sneaky["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
    assert sneaky["data"] is None


async def test_apollo_automatic_persisted_queries_register_in_development(
    runtime: Runtime, node_modules: Path
) -> None:
    text = "query Mine { me { id email } }"
    steps = [{"text": text}, {"text": text}]
    async with serving(runtime, production=False) as base:
        token = await login(base, METTE)
        first, second = await node(
            node_modules, "apollo_persisted.cjs", f"http://{base}/graphql", token, json.dumps(steps)
        )

    assert [r["query"] is not None for r in first["requests"]] == [False, True]
    assert [r["query"] is not None for r in second["requests"]] == [False]
    assert first["data"] == second["data"]
    assert second["data"]["me"]["email"] == METTE
    assert _hashes(first) == _hashes(second)[:1] * 2


async def test_apollo_clients_hash_of_every_trusted_document_is_known(node_modules: Path) -> None:
    """Apollo's printer (graphql-js) and cache transform against ours, for every document."""
    relay_ids = Path(__file__).resolve().parents[2] / "graphql" / "persisted_queries.json"

    apollo_hashes = await node(node_modules, "apollo_hashes.cjs", str(relay_ids))

    assert len(apollo_hashes) == len(DOCUMENTS)
    for document in DOCUMENTS:
        assert apollo_hashes[document.sha256] == DOCUMENTS.apollo_form(document.name).sha256, (
            document.name
        )


async def test_a_websocket_subscribe_without_query_is_read_by_its_hash(runtime: Runtime) -> None:
    """Strawberry's own handler closes the socket (4400) on a payload without `query`."""
    thread_messages = trusted("ThreadMessages")
    async with (
        serving(runtime, production=True) as base,
        websockets.connect(
            f"ws://{base}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws,
    ):
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        for operation_id, sha256 in (("known", thread_messages.sha256), ("unknown", "0" * 64)):
            payload = {"variables": {"threadId": "x"}, "extensions": persisted(sha256)}
            await ws.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))
        answers = {}
        while len(answers) < 2:
            message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            answers[message["id"]] = message

    def codes(message: dict[str, Any]) -> list[str]:
        payload = message["payload"]
        errors = payload if isinstance(payload, list) else payload.get("errors") or []
        return [error["extensions"]["code"] for error in errors]

    assert codes(answers["known"]) == ["UNAUTHENTICATED"]  # the document ran: no session
    assert codes(answers["unknown"]) == ["PERSISTED_QUERY_NOT_FOUND"]
