"""A fuzz test of the whole GraphQL API: no internal error, ever.

hypothesis-graphql writes valid documents for every root field of Query and Mutation (its
arguments, nested arguments and selections), with the scalars' own strategies: the demo's real
IDs beside made-up ones, valid and odd dates, times and instants. Each runs in-process against
the real schema on the test database, signed in as a guardian and as an admin. Whatever the
answer (data, an error as data, a typed top-level error), it is never INTERNAL_SERVER_ERROR and
never an error without a code from inside execution (an exception that escaped the masking).

CI runs a few examples per field and user (the whole file well under a minute);
`SEDDEL_FUZZ_EXAMPLES=200` runs a longer search.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from hypothesis_graphql import mutations, nodes, queries
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.ids import encode
from app.config import Settings
from app.core.runtime import Runtime
from app.db import session_factory
from app.realtime.memory import InProcessBroker
from app.root.schema import build_schema
from app.server import create_app
from app.storage.local import LocalStorage
from tests.client import GraphQLClient
from tests.helpers import SOLSIKKEN_ADMIN, overview

GUARDIAN = "mette@example.com"
SIGN_IN_FIELDS = {"login"}  # run without a session, from another address (see FuzzClients)
USERS = (GUARDIAN, SOLSIKKEN_ADMIN)
EXAMPLES = int(os.environ.get("SEDDEL_FUZZ_EXAMPLES", "2"))
SCHEMA = build_schema(Settings())._schema
assert SCHEMA.query_type is not None and SCHEMA.mutation_type is not None
ROOT_FIELDS = [("query", name) for name in SCHEMA.query_type.fields] + [
    ("mutation", name) for name in SCHEMA.mutation_type.fields
]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=EXAMPLES <= 10,  # the short CI run is the same every time
    database=None,
)

# IDs of the seeded demo (stable for the session), filled by the fixture below.
DEMO_IDS: list[str] = []


class FuzzClients:
    def __init__(self, signed_in: GraphQLClient, elsewhere: GraphQLClient) -> None:
        self.signed_in = signed_in
        # The fuzzed `login` fails again and again; from its own address, so the throttle's
        # per-address lock does not shut the signed-in users out of the rest of the module.
        self.elsewhere = elsewhere


@pytest.fixture(scope="module")
async def fuzz_clients(
    migrated: Settings, engine: AsyncEngine, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FuzzClients]:
    """One app for the module (building the schema per test would dominate), in one outer
    transaction rolled back at the end, as every test's own."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        runtime = Runtime(
            settings=migrated,
            engine=None,
            sessions=session_factory(connection, join_transaction_mode="create_savepoint"),
            storage=LocalStorage(
                tmp_path_factory.mktemp("fuzz") / "media",
                migrated.secret_key,
                migrated.public_url,
            ),
            broker=InProcessBroker(),
        )
        app = create_app(runtime=runtime)
        async with (
            _client(app, "127.0.0.1") as signed_in,
            _client(app, "192.0.2.7") as elsewhere,
        ):
            if not DEMO_IDS:
                DEMO_IDS.extend(await _demo_ids(signed_in))
            yield FuzzClients(signed_in, elsewhere)
        await transaction.rollback()


@asynccontextmanager
async def _client(app: Any, address: str) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)


async def _demo_ids(client: GraphQLClient) -> list[str]:
    """The users' own children and groups first (where the services do most), then others."""
    ids: list[str] = []
    for user in USERS:
        me = (await client.gql("Me", as_=user))["me"]
        ids.extend(child["id"] for child in me["children"])
        ids.extend(m["institution"]["id"] for m in me["institutions"])
    node = await overview(client, SOLSIKKEN_ADMIN, first=6)
    ids.extend(g["id"] for g in node["groups"])
    for child in node["children"]["edges"]:
        ids.append(child["node"]["id"])
        ids.extend(g["id"] for g in child["node"].get("guardians", []))
    return list(dict.fromkeys(ids))


def _ids() -> SearchStrategy[graphql.ValueNode]:
    made_up = st.one_of(
        st.uuids().map(str),
        st.builds(encode, st.sampled_from(["Child", "Group", "Thread", "Photo"]), st.uuids()),
        st.text(max_size=40),
    )
    real = st.integers(min_value=0, max_value=63).map(
        lambda i: DEMO_IDS[i % len(DEMO_IDS)] if DEMO_IDS else str(uuid.UUID(int=i))
    )
    return st.one_of(real, real, real, made_up).map(nodes.String)


def _scalars() -> dict[str, SearchStrategy[graphql.ValueNode]]:
    today = datetime.now(UTC)
    near = st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60).map(
        lambda minutes: today + timedelta(minutes=minutes)
    )
    offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
    instants = st.one_of(
        st.builds(lambda moment, zone: moment.astimezone(zone).isoformat(), near, offsets),
        st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
        st.text(max_size=30),
    )
    days = st.one_of(
        st.integers(-40, 40).map(lambda n: (today.date() + timedelta(days=n)).isoformat()),
        st.dates().map(date.isoformat),
        st.text(max_size=12),
    )
    times = st.one_of(
        st.times().map(lambda t: t.strftime("%H:%M")),
        st.times().map(lambda t: t.isoformat()),
        st.times(timezones=st.just(UTC)).map(lambda t: t.isoformat()),
        st.text(max_size=12),
    )
    return {
        "ID": _ids(),
        "Date": days.map(nodes.String),
        "Time": times.map(nodes.String),
        "DateTime": instants.map(nodes.String),
    }


@cache
def documents(kind: str, field: str) -> SearchStrategy[str]:
    make = queries if kind == "query" else mutations
    return make(SCHEMA, fields=[field], custom_scalars=_scalars(), allow_x00=False)


def internal_errors(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Errors that are not the client's: masked internal errors, and errors from inside
    execution (they have a `path`) without a code, which escaped the masking."""
    found = []
    for error in payload.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL_SERVER_ERROR" or (error.get("path") and not code):
            found.append(error)
    return found


@pytest.mark.parametrize("user", USERS, ids=["guardian", "admin"])
@pytest.mark.parametrize(("kind", "field"), ROOT_FIELDS, ids=[f"{k}.{f}" for k, f in ROOT_FIELDS])
@FUZZ
@given(data=st.data())
async def test_no_internal_error_for_any_document(
    fuzz_clients: FuzzClients, kind: str, field: str, user: str, data: st.DataObject
) -> None:
    document = data.draw(documents(kind, field), label="document")
    client = fuzz_clients.signed_in
    if field in SIGN_IN_FIELDS:
        payload = await fuzz_clients.elsewhere.execute(None, {}, query=document)  # type: ignore[arg-type]
        assert not internal_errors(payload), (document, payload)
        return
    token = await client.token_for(user)
    payload = await client.execute(None, {}, token=token, query=document)  # type: ignore[arg-type]
    assert not internal_errors(payload), (document, payload)
    if any(
        (error.get("extensions") or {}).get("code") == "UNAUTHENTICATED"
        for error in payload.get("errors") or []
    ):
        client.tokens.pop(user, None)  # it signed itself out (logout, revokeSession)


def test_every_root_field_is_fuzzed() -> None:
    schema_fields = set(SCHEMA.query_type.fields) | set(SCHEMA.mutation_type.fields)  # type: ignore[union-attr]
    assert {name for _, name in ROOT_FIELDS} == schema_fields
    assert len(ROOT_FIELDS) > 100
