"""A dead session ends every subscription at its next event, over a real websocket: the
server (uvicorn, in this process, on the test's runtime: its rolled-back connection and
in-process broker) speaks graphql-transport-ws to a `websockets` client. For every field of
the schema's Subscription type: the subscriber hears an event, its session is revoked (logout,
revokeSession, or expired in the database), and the next event brings no data but an
UNAUTHENTICATED error (or the operation's complete). A subscription field without an entry
in CASES fails the test: a new subscription is covered the day it is added."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
import websockets
from graphql import GraphQLObjectType
from sqlalchemy import update

from app.accounts.models import AuthSession
from app.api.ids import plain_uuid
from app.api.trusted import TrustedDocuments
from app.ops.demo import DEMO_PASSWORD
from app.root.schema import build_schema
from app.server import create_app
from tests.api.test_websocket import _free_port
from tests.attendance.presence_support import ago, check_in, check_out, guardian_link, liva
from tests.client import GraphQLClient
from tests.daybook.helpers import record
from tests.helpers import SOLSIKKEN_ADMIN, group_id, institution_id

# The stays' check-ins and check-outs "so many minutes ago" on a fixed weekday morning, never
# across midnight.
pytestmark = pytest.mark.usefixtures("plan_clock")

PERNILLE = "pernille@solsikken.example"  # staff of Bjørnene
METTE = "mette@example.com"  # Liva's mother
TIMEOUT = 10

Target = dict[str, Any]


@dataclass(frozen=True)
class Case:
    operation: str  # the trusted document in graphql/operations/
    subscriber: str
    aim: Callable[[GraphQLClient], Awaitable[Target]]  # what to subscribe to: its variables
    triggers: tuple[Callable[[GraphQLClient, Target], Awaitable[None]], ...]  # one per event


async def _liva(client: GraphQLClient) -> Target:
    child = await liva(client)
    return {"variables": {"child": child["id"]}, "child": child}


async def _bears(client: GraphQLClient) -> Target:
    child = await liva(client)
    bears = await group_id(client, SOLSIKKEN_ADMIN, "Bjørnene")
    return {"variables": {"groupId": bears}, "child": child}


async def _mine(client: GraphQLClient) -> Target:
    return {"variables": {}, "child": await liva(client)}


async def _thread(client: GraphQLClient) -> Target:
    """A thread Pernille starts to Liva's family: Mette takes part."""
    child = await liva(client)
    started = await client.gql(
        "StartThread",
        {
            "input": {
                "institutionId": await institution_id(client, SOLSIKKEN_ADMIN),
                "subject": "Live",
                "body": "Hej",
                "recipients": {"children": [child["id"]]},
            }
        },
        as_=PERNILLE,
    )
    thread = started["startThread"]["threads"][0]["id"]
    return {"variables": {"threadId": thread}, "thread": thread}


async def _inbox(client: GraphQLClient) -> Target:
    return {**(await _thread(client)), "variables": {}}


async def _entry(client: GraphQLClient, target: Target) -> None:
    await record(client, target["child"]["id"], {"mood": {"mood": "HAPPY"}})


async def _message(client: GraphQLClient, target: Target) -> None:
    sent = await client.gql(
        "SendMessage", {"threadId": target["thread"], "body": "Og en til"}, as_=PERNILLE
    )
    assert sent["sendMessage"]["__typename"] == "Message", sent


def _stay(
    arrive: float, leave: float
) -> tuple[Callable[[GraphQLClient, Target], Awaitable[None]], ...]:
    """Check Liva in, then out, so many minutes ago: each case a stay of its own."""

    async def arrives(client: GraphQLClient, target: Target) -> None:
        came = await check_in(client, target["child"]["id"], at=ago(arrive))
        assert came["__typename"] == "PresenceChanged", came

    async def leaves(client: GraphQLClient, target: Target) -> None:
        child = target["child"]
        went = await check_out(
            client,
            child["id"],
            at=ago(leave),
            picked_up_by={"guardianLinkId": guardian_link(child)},
        )
        assert went["__typename"] == "PresenceChanged", went

    return arrives, leaves


CASES: dict[str, Case] = {
    "childDayChanged": Case("ChildDayChanged", METTE, _liva, (_entry, _entry)),
    "inboxEvents": Case("InboxEvents", METTE, _inbox, (_message, _message)),
    "threadMessages": Case("ThreadMessages", METTE, _thread, (_message, _message)),
    "groupDayChanged": Case("GroupDayChanged", PERNILLE, _bears, _stay(60, 55)),
    "myChildPresenceChanged": Case("MyChildPresenceChanged", METTE, _mine, _stay(50, 45)),
}


def _subscription_fields(settings) -> list[str]:
    subscription = build_schema(settings)._schema.subscription_type
    assert isinstance(subscription, GraphQLObjectType)
    return list(subscription.fields)


def test_every_subscription_field_has_a_case(settings):
    fields = _subscription_fields(settings)
    assert fields, "the schema has no subscriptions?"
    missing = sorted(set(fields) - set(CASES))
    assert not missing, f"subscription fields without a revocation case in CASES: {missing}"
    assert not set(CASES) - set(fields), "a case for a field the schema no longer has"
    documents = TrustedDocuments()
    for field, case in CASES.items():
        document = documents.by_name(case.operation)
        assert document is not None and field in document.text, (field, case.operation)


@asynccontextmanager
async def _server(runtime) -> AsyncIterator[str]:
    """The whole app on a real port, in this event loop, on the test's runtime."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(runtime=runtime),
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="off",
        ws="websockets",
    )
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, TIMEOUT)


class Broker:
    """The test's in-process broker, watched: the channels listened to so far, and
    publications held back while a trigger's request runs. The server and the test share one
    connection (savepoints): a subscriber reading while the trigger's request still reads
    would release the request's savepoint under it. Delivered once the request is done, as a
    real broker does after the commit anyway."""

    def __init__(self, runtime, monkeypatch) -> None:
        self.listened: list[str] = []
        self._held: list[tuple[str, dict[str, Any]]] | None = None
        subscribe, self._publish = runtime.broker.subscribe, runtime.broker.publish

        @asynccontextmanager
        async def recording(channel: str) -> AsyncIterator[Any]:
            async with subscribe(channel) as subscription:
                self.listened.append(channel)
                yield subscription

        async def holding(channel: str, payload: dict[str, Any]) -> None:
            if self._held is None:
                await self._publish(channel, payload)
            else:
                self._held.append((channel, payload))

        monkeypatch.setattr(runtime.broker, "subscribe", recording)
        monkeypatch.setattr(runtime.broker, "publish", holding)

    async def after(self, trigger: Awaitable[None]) -> None:
        """Run a trigger's requests, then deliver what they published."""
        self._held = []
        try:
            await trigger
        finally:
            held, self._held = self._held, None
        for channel, payload in held:
            await self._publish(channel, payload)


@pytest.fixture
def broker(runtime, monkeypatch) -> Broker:
    return Broker(runtime, monkeypatch)


async def _login(client: GraphQLClient, email: str) -> tuple[str, str]:
    """A session of the subscriber's own (not the client's cached one): it gets revoked."""
    data = await client.gql(
        "Login", {"email": email, "password": DEMO_PASSWORD, "deviceLabel": "live"}
    )
    login = data["login"]
    assert login["__typename"] == "LoginSuccess", login
    return login["token"], login["session"]["id"]


async def _receive(ws) -> dict[str, Any] | None:
    """The next message of the operation, or None when the socket closed."""
    while True:
        try:
            raw = await asyncio.wait_for(ws.recv(), TIMEOUT)
        except websockets.ConnectionClosed:
            return None
        message: dict[str, Any] = json.loads(raw)
        if message.get("type") in ("next", "error", "complete") and message.get("id") == "1":
            return message


def _unauthenticated(message: dict[str, Any]) -> bool:
    payload = message.get("payload")
    if isinstance(payload, dict):
        if payload.get("data") is not None:
            return False
        errors = payload.get("errors") or []
    else:
        errors = payload or []
    return any((e.get("extensions") or {}).get("code") == "UNAUTHENTICATED" for e in errors)


@asynccontextmanager
async def _subscribed(base: str, token: str, case: Case, variables: dict[str, Any], broker):
    document = TrustedDocuments().by_name(case.operation)
    assert document is not None
    before = len(broker.listened)
    async with websockets.connect(
        f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert ack["type"] == "connection_ack", ack
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": document.text,
                        "operationName": case.operation,
                        "variables": variables,
                    },
                }
            )
        )
        for _ in range(TIMEOUT * 100):
            if len(broker.listened) > before:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError(f"{case.operation} never listened")
        await asyncio.sleep(0.05)  # every channel of the resolver (a parent of several)
        yield ws


async def _settled(connection) -> None:
    """The server and the test share one connection (savepoints): once the event was sent,
    the subscriber ends its read (a savepoint released under a request's would end that
    one's too, or roll back its writes), so nothing else may begin before it has."""
    for _ in range(TIMEOUT * 100):
        await asyncio.sleep(0.01)
        if not connection.in_nested_transaction():
            return
    raise AssertionError("the subscriber holds a transaction between events")


async def _ends_at_the_next_event(
    client: GraphQLClient,
    connection,
    base: str,
    broker: Broker,
    field: str,
    kill: Callable[[str, str], Awaitable[None]],
) -> None:
    case = CASES[field]
    target = await case.aim(client)
    token, session_id = await _login(client, case.subscriber)
    heard, after = case.triggers
    async with _subscribed(base, token, case, target["variables"], broker) as ws:
        # The control: the subscriber does hear such an event while the session lives.
        await broker.after(heard(client, target))
        first = await _receive(ws)
        assert first is not None and first["type"] == "next", (field, first)
        assert first["payload"].get("data", {}).get(field) is not None, (field, first)
        await _settled(connection)

        await kill(token, session_id)
        await broker.after(after(client, target))
        last = await _receive(ws)
        assert last is not None, (field, "the socket closed instead of ending the operation")
        if last["type"] == "complete":
            return
        assert _unauthenticated(last), (field, last)
        # The error is the operation's last word.
        closing = await _receive(ws)
        assert closing is None or closing["type"] == "complete", (field, closing)


async def test_logout_ends_every_subscription_at_its_next_event(
    client, connection, runtime, settings, broker
):
    async def logout(token: str, _session_id: str) -> None:
        assert (await client.gql("Logout", token=token))["logout"]["ok"] is True

    async with _server(runtime) as base:
        for field in _subscription_fields(settings):
            await _ends_at_the_next_event(client, connection, base, broker, field, logout)


async def test_revoke_session_ends_every_subscription_at_its_next_event(
    client, connection, runtime, settings, broker
):
    async def revoke(token: str, session_id: str) -> None:
        revoked = await client.gql("RevokeSession", {"sessionId": session_id}, token=token)
        assert revoked["revokeSession"]["__typename"] == "SessionRevoked", revoked

    async with _server(runtime) as base:
        for field in _subscription_fields(settings):
            await _ends_at_the_next_event(client, connection, base, broker, field, revoke)


@pytest.mark.parametrize("field", ["threadMessages", "inboxEvents"])
async def test_an_expired_session_ends_the_subscription(client, connection, runtime, broker, field):
    async def expire(_token: str, session_id: str) -> None:
        async with runtime.sessions() as db, db.begin():
            await db.execute(
                update(AuthSession)
                .where(AuthSession.id == plain_uuid(session_id, field="sessionId"))
                .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )

    async with _server(runtime) as base:
        await _ends_at_the_next_event(client, connection, base, broker, field, expire)


async def test_one_check_per_event_sent_and_none_for_queries():
    """The mechanism alone: a check per result a subscription sends (none for a query over
    a streaming transport); a dead session's event becomes UNAUTHENTICATED without data and
    is the last, and the resolver's generator is closed (it stops listening)."""
    import strawberry
    from strawberry.types.graphql import OperationType

    from app.api.errors import ErrorPolicy
    from app.api.live import SessionRecheck
    from app.root.schema import SeddelSchema

    answers = [True, False]
    checked: list[Any] = []
    closed: list[bool] = []

    async def check(context: Any) -> bool:
        checked.append(context)
        return answers.pop(0)

    @strawberry.type
    class Query:
        @strawberry.field
        def ping(self) -> bool:
            return True

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def count(self) -> AsyncIterator[int]:
            try:
                for n in range(5):
                    yield n
            finally:
                closed.append(True)

    schema = SeddelSchema(
        query=Query,
        subscription=Subscription,
        extensions=[ErrorPolicy, lambda: SessionRecheck(check)],
    )
    queried = [r async for r in await schema.stream("{ ping }", context_value="ctx")]
    assert queried[0].data == {"ping": True} and checked == []
    results = await schema.stream(
        "subscription { count }",
        context_value="ctx",
        allowed_operation_types=(OperationType.SUBSCRIPTION,),
    )
    got = [r async for r in results]
    assert [r.data for r in got] == [{"count": 0}, None]
    assert got[1].errors[0].extensions["code"] == "UNAUTHENTICATED"
    assert checked == ["ctx", "ctx"] and closed == [True]
