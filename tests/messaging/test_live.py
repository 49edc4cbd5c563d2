"""Live over graphql-transport-ws: a message sent through one server process reaches a
subscriber on another, both sharing PostgreSQL (LISTEN/NOTIFY). On SQLite the same flow runs
on one process with the in-process broker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import websockets

from tests.api.test_websocket import ROOT, _free_port
from tests.conftest import is_postgres

INBOX = "subscription { inboxEvents { kind thread { id subject unreadCount } message { body } } }"
THREAD = "subscription($id: ID!) { threadMessages(threadId: $id) { id body sender { name isMe } } }"


@contextmanager
def _server(settings, broker: str) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "SEDDEL_DATABASE_URL": settings.database_url,
        "SEDDEL_BROKER": broker,
        "SEDDEL_ARGON2_TIME_COST": "1",
        "SEDDEL_ARGON2_MEMORY_KIB": "1024",
        "SEDDEL_ARGON2_PARALLELISM": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"http://{base}/health/live", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def servers(settings) -> Iterator[tuple[str, str]]:
    if is_postgres():
        with _server(settings, "postgres") as a, _server(settings, "postgres") as b:
            yield a, b
    else:
        with _server(settings, "memory") as a:
            yield a, a


async def _gql(http: httpx.AsyncClient, operation: str, variables: dict, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"operationName": operation, "variables": variables}, headers=headers
    )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


async def _forget(settings, http: httpx.AsyncClient, thread_id: str, token: str) -> None:
    """The servers commit for real: delete the thread and the outbox rows it caused, so no
    later test (the notification worker's) finds them."""
    from sqlalchemy import delete

    from app.api.ids import decode
    from app.db import create_engine
    from app.notifications.models import OutboxEntry

    await _gql(http, "DeleteThread", {"threadId": thread_id}, token)
    link = f"/threads/{decode(thread_id, 'Thread', field='x')}"
    owner = create_engine(settings.owner_database_url)
    async with owner.begin() as connection:
        await connection.execute(delete(OutboxEntry).where(OutboxEntry.link == link))
    await owner.dispose()


async def _login(http: httpx.AsyncClient, email: str) -> str:
    data = await _gql(http, "Login", {"email": email, "password": "seddel-demo"})
    token: str = data["login"]["token"]
    return token


_pending: dict[str, list[dict]] = {}


async def _next(ws, operation_id: str) -> dict:
    """The next result of one operation; results of the others wait their turn."""
    while not _pending.get(operation_id):
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=15))
        if message.get("type") in ("next", "error") and "id" in message:
            _pending.setdefault(message["id"], []).append(message)
    return _pending[operation_id].pop(0)


async def test_a_message_sent_through_one_server_reaches_a_subscriber_on_the_other(
    servers, settings
):
    first, second = servers
    _pending.clear()
    async with (
        httpx.AsyncClient(base_url=f"http://{first}", timeout=20) as http,
        websockets.connect(f"ws://{second}/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        pernille = await _login(http, "pernille@solsikken.example")
        mette = await _login(http, "mette@example.com")
        me = await _gql(http, "Me", {}, mette)
        liva = next(c for c in me["me"]["children"] if c["name"] == "Liva Holm-Jensen")
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {mette}"}})
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "inbox", "type": "subscribe", "payload": {"query": INBOX}}))
        await asyncio.sleep(1.0)  # the LISTEN is in place once the resolver has started
        thread_id = None
        try:
            started = await _gql(
                http,
                "StartThread",
                {
                    "input": {
                        "institutionId": liva["institution"]["id"],
                        "subject": "Live",
                        "body": "Hej fra den anden server",
                        "recipients": {"children": [liva["id"]]},
                    }
                },
                pernille,
            )
            thread_id = started["startThread"]["threads"][0]["id"]
            event = (await _next(ws, "inbox"))["payload"]["data"]["inboxEvents"]
            assert event["kind"] == "NEW_THREAD"
            assert event["thread"] == {"id": thread_id, "subject": "Live", "unreadCount": 1}
            assert event["message"]["body"] == "Hej fra den anden server"

            await ws.send(
                json.dumps(
                    {
                        "id": "thread",
                        "type": "subscribe",
                        "payload": {"query": THREAD, "variables": {"id": thread_id}},
                    }
                )
            )
            await asyncio.sleep(1.0)
            sent = await _gql(
                http, "SendMessage", {"threadId": thread_id, "body": "Og en til"}, pernille
            )
            assert sent["sendMessage"]["__typename"] == "Message"
            live = (await _next(ws, "thread"))["payload"]["data"]["threadMessages"]
            assert live["body"] == "Og en til"
            assert live["sender"] == {"name": "Pernille Holm", "isMe": False}
            inbox_event = (await _next(ws, "inbox"))["payload"]["data"]["inboxEvents"]
            assert inbox_event["kind"] == "NEW_MESSAGE"
            assert inbox_event["thread"]["unreadCount"] == 2
        finally:
            if thread_id is not None:
                await _forget(settings, http, thread_id, pernille)


async def test_a_stranger_cannot_subscribe_to_a_thread(servers, settings):
    first, second = servers
    _pending.clear()
    async with (
        httpx.AsyncClient(base_url=f"http://{first}", timeout=20) as http,
        websockets.connect(f"ws://{second}/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        pernille = await _login(http, "pernille@solsikken.example")
        lars = await _login(http, "lars@regnbuen.example")
        me = await _gql(http, "Me", {}, pernille)
        institution = me["me"]["institutions"][0]["institution"]["id"]
        overview = await _gql(
            http, "InstitutionOverview", {"id": institution, "first": 1}, pernille
        )
        group = overview["node"]["groups"][0]["id"]
        started = await _gql(
            http,
            "StartThread",
            {
                "input": {
                    "institutionId": institution,
                    "subject": "Intern",
                    "body": "Kun for personalet",
                    "recipients": {"groupStaff": [group]},
                }
            },
            pernille,
        )
        thread_id = started["startThread"]["threads"][0]["id"]
        try:
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {lars}"}}
                )
            )
            assert json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["type"] == (
                "connection_ack"
            )
            await ws.send(
                json.dumps(
                    {
                        "id": "x",
                        "type": "subscribe",
                        "payload": {"query": THREAD, "variables": {"id": thread_id}},
                    }
                )
            )
            answer = await _next(ws, "x")
            payload = answer["payload"]
            errors = payload["errors"] if isinstance(payload, dict) else payload
            assert errors[0]["extensions"]["code"] == "NOT_FOUND"
        finally:
            await _forget(settings, http, thread_id, pernille)


async def _subscribed(base: str, token: str, operation_id: str) -> websockets.ClientConnection:
    ws = await websockets.connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"])
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["type"] == "connection_ack"
    await ws.send(
        json.dumps({"id": operation_id, "type": "subscribe", "payload": {"query": INBOX}})
    )
    return ws


async def test_reading_on_one_device_reaches_the_readers_other_devices_only(servers, settings):
    """Mette reads on her phone: her tablet's inbox (on the other server, with PostgreSQL)
    hears READ and shows the thread read; Jonas, in the same thread, hears nothing of it."""
    first, second = servers
    _pending.clear()
    async with httpx.AsyncClient(base_url=f"http://{first}", timeout=20) as http:
        pernille = await _login(http, "pernille@solsikken.example")
        phone = await _login(http, "mette@example.com")
        tablet_token = await _login(http, "mette@example.com")  # a second session: a device
        jonas_token = await _login(http, "jonas@example.com")
        me = await _gql(http, "Me", {}, phone)
        liva = next(c for c in me["me"]["children"] if c["name"] == "Liva Holm-Jensen")
        tablet = await _subscribed(second, tablet_token, "tablet")
        jonas = await _subscribed(first, jonas_token, "jonas")
        thread_id = None
        try:
            await asyncio.sleep(1.0)  # the LISTEN is in place once the resolvers have started
            started = await _gql(
                http,
                "StartThread",
                {
                    "input": {
                        "institutionId": liva["institution"]["id"],
                        "subject": "Læst",
                        "body": "Læs mig",
                        "recipients": {"children": [liva["id"]]},
                    }
                },
                pernille,
            )
            thread_id = started["startThread"]["threads"][0]["id"]
            for ws, operation in ((tablet, "tablet"), (jonas, "jonas")):
                event = (await _next(ws, operation))["payload"]["data"]["inboxEvents"]
                assert (event["kind"], event["thread"]["unreadCount"]) == ("NEW_THREAD", 1)

            read = await _gql(http, "MarkThreadRead", {"threadId": thread_id}, phone)
            assert read["markThreadRead"]["unreadCount"] == 0
            event = (await _next(tablet, "tablet"))["payload"]["data"]["inboxEvents"]
            assert event["kind"] == "READ" and event["message"] is None
            assert event["thread"] == {"id": thread_id, "subject": "Læst", "unreadCount": 0}

            # Jonas's next event is Pernille's next message, not Mette's reading.
            await _gql(http, "SendMessage", {"threadId": thread_id, "body": "Og nu"}, pernille)
            event = (await _next(jonas, "jonas"))["payload"]["data"]["inboxEvents"]
            assert (event["kind"], event["thread"]["unreadCount"]) == ("NEW_MESSAGE", 2)
            event = (await _next(tablet, "tablet"))["payload"]["data"]["inboxEvents"]
            assert (event["kind"], event["thread"]["unreadCount"]) == ("NEW_MESSAGE", 1)
        finally:
            await tablet.close()
            await jonas.close()
            if thread_id is not None:
                await _forget(settings, http, thread_id, pernille)
