"""The crash test of idempotent sends: the real server (`seddel serve`, the application role,
PostgreSQL) is killed with SIGKILL while several clients send messages concurrently, each
attempt with its own idempotency key; it is started again, and every client retries each
request that got no answer with the same key, as an app does. Then every acknowledged and
every retried message exists exactly once. Also: concurrent retries of one key (the requests
race each other into the database) produce one message and one key.

PostgreSQL only (the server needs a database of its own, made and dropped here, so nothing is
left in the shared test database); about 20-40 s. Marked `processes`: `-m "not processes"`
leaves it out of a quick local run; CI runs it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.api.ids import decode
from app.config import Settings
from app.db import create_engine, session_factory
from app.ops.demo import DEMO_PASSWORD
from tests.client import GraphQLClient
from tests.conftest import APP_ROLE, OWNER_URL
from tests.messaging.util import JONAS, METTE, PERNILLE, demo

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(not OWNER_URL, reason="the server runs on PostgreSQL here"),
]

ROOT = Path(__file__).resolve().parents[2]
SENDERS = (PERNILLE, METTE, JONAS)
CLIENTS_PER_SENDER = 2  # two devices of one person: their keys differ, their bodies too
MESSAGES_PER_CLIENT = 15
KILL_AFTER_ACKNOWLEDGED = 25


async def _admin(statement: str) -> None:
    """As the test cluster's superuser, outside any transaction (CREATE/DROP DATABASE)."""
    import asyncpg

    url = make_url(OWNER_URL or "")
    connection = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="module")
async def crash_database() -> AsyncIterator[Settings]:
    """A database of its own, migrated and seeded with the demo; dropped at the end."""
    from app.ops.demo import seed_demo
    from app.ops.migrate import migrate

    owner = make_url(OWNER_URL or "")
    name = f"{owner.database}_crash"
    await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await _admin(f"CREATE DATABASE {name}")
    owner_url = owner.set(database=name).render_as_string(hide_password=False)
    app_url = owner.set(database=name, username=APP_ROLE).render_as_string(hide_password=False)
    settings = Settings(
        database_url=app_url,
        migration_database_url=owner_url,
        argon2_time_cost=1,
        argon2_memory_cost_kib=1024,
        argon2_parallelism=1,
        log_json=False,
    )
    try:
        await asyncio.to_thread(migrate, settings)
        await _admin(f"ALTER ROLE {APP_ROLE} LOGIN")
        engine = create_engine(owner_url)
        async with session_factory(engine)() as db:
            await seed_demo(db, settings, first_day=False)
        await engine.dispose()
        yield settings
    finally:
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`seddel serve` as a child process of the test, started and killed at will."""

    def __init__(self, settings: Settings, media: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SEDDEL_DATABASE_URL": settings.database_url,
            "SEDDEL_MIGRATION_DATABASE_URL": settings.owner_database_url,
            "SEDDEL_ARGON2_TIME_COST": "1",
            "SEDDEL_ARGON2_MEMORY_KIB": "1024",
            "SEDDEL_ARGON2_PARALLELISM": "1",
            "SEDDEL_LOG_JSON": "0",
            "SEDDEL_MEDIA_ROOT": str(media),
        }
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        command = [sys.executable, "-m", "app", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as http:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, "the server exited while starting"
                try:
                    if (await http.get("/health/live")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the server did not start in 30 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, open transactions die with their connections."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        self.kill()


@pytest.fixture
def server(crash_database: Settings, tmp_path: Path) -> Iterator[Server]:
    running = Server(crash_database, tmp_path / "media")
    try:
        yield running
    finally:
        running.stop()


@dataclass
class Sender:
    """One app on one device: sends its messages one after another; a request without an
    answer is sent again, with the same key, until it gets one."""

    name: str
    token: str
    thread_id: str
    up: asyncio.Event
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> message id
    retried: set[str] = field(default_factory=set)
    replayed: set[str] = field(default_factory=set)

    def body(self, key: str) -> str:
        return f"{self.name}: besked {key}"

    async def run(self, base_url: str, count: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=10, headers=headers) as http:
            for n in range(count):
                await self._send_until_answered(http, f"{self.name}-{n}")

    async def _send_until_answered(self, http: httpx.AsyncClient, key: str) -> None:
        body = {
            "operationName": "SendMessage",
            "variables": {
                "threadId": self.thread_id,
                "body": self.body(key),
                "idempotencyKey": key,
            },
        }
        while True:
            await self.up.wait()
            try:
                response = await http.post("/graphql", json=body)
                payload = response.json()
            except (httpx.TransportError, ValueError):
                self.retried.add(key)  # no answer: the server died (or was dying)
                await asyncio.sleep(0.05)
                continue
            result = payload["data"]["sendMessage"]
            assert result["__typename"] == "Message", payload
            self.acknowledged[key] = str(decode(result["id"], "Message", field="id"))
            if payload["extensions"]["idempotency"]["sendMessage"]["replayed"]:
                self.replayed.add(key)
            return


async def _login(http: httpx.AsyncClient, email: str) -> str:
    response = await http.post(
        "/graphql",
        json={"operationName": "Login", "variables": {"email": email, "password": DEMO_PASSWORD}},
    )
    token: str = response.json()["data"]["login"]["token"]
    return token


async def _liva_thread(base_url: str) -> str:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        client = GraphQLClient(http)
        d = await demo(client)
        data = await client.gql(
            "StartThread",
            {
                "input": {
                    "institutionId": d.institution,
                    "subject": "Nedbrud",
                    "body": "Vi tester.",
                    "recipients": {"children": [d.child("Liva Holm-Jensen")]},
                }
            },
            as_=PERNILLE,
        )
        thread_id: str = data["startThread"]["threads"][0]["id"]
        return thread_id


async def _messages_by_body(owner_url: str) -> dict[str, list[str]]:
    engine = create_engine(owner_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT body, id FROM messages"))).all()
    finally:
        await engine.dispose()
    found: dict[str, list[str]] = {}
    for body, id_ in rows:
        found.setdefault(body, []).append(str(id_))
    return found


async def test_sigkill_mid_flight_then_retries_store_each_message_once(server, crash_database):
    await server.start()
    thread_id = await _liva_thread(server.url)
    up = asyncio.Event()
    up.set()
    senders = []
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        for email in SENDERS:
            token = await _login(http, email)
            for device in range(CLIENTS_PER_SENDER):
                name = f"{email.split('@')[0]}.{device}"
                senders.append(Sender(name, token, thread_id, up))

    async def crash_and_restart() -> None:
        while sum(len(s.acknowledged) for s in senders) < KILL_AFTER_ACKNOWLEDGED:
            await asyncio.sleep(0.005)
        up.clear()  # the apps see errors from here on; they retry once it is back
        server.kill()
        await server.start()
        up.set()

    sending = [asyncio.create_task(s.run(server.url, MESSAGES_PER_CLIENT)) for s in senders]
    await asyncio.wait_for(asyncio.gather(crash_and_restart(), *sending), timeout=90)

    stored = await _messages_by_body(crash_database.owner_database_url)
    retried = set().union(*(s.retried for s in senders))
    assert retried, "no request was in flight when the server died: the test proved nothing"
    for sender in senders:
        assert len(sender.acknowledged) == MESSAGES_PER_CLIENT
        for key, message_id in sender.acknowledged.items():
            assert stored.get(sender.body(key)) == [message_id], (key, key in sender.retried)
    print(
        f"\n{len(senders)} clients, {sum(len(s.acknowledged) for s in senders)} messages,"
        f" {len(retried)} retried after the kill,"
        f" {sum(len(s.replayed) for s in senders)} of them replays of a committed send"
    )


async def test_concurrent_retries_of_one_key_store_one_message(server, crash_database):
    await server.start()
    thread_id = await _liva_thread(server.url)
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        token = await _login(http, METTE)
    body = {
        "operationName": "SendMessage",
        "variables": {"threadId": thread_id, "body": "Én gang.", "idempotencyKey": "race-1"},
    }

    async def attempt() -> dict[str, Any]:
        # Each on its own connection, as separate retries of an app would arrive.
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.url, timeout=20, headers=headers) as http:
            payload: dict[str, Any] = (await http.post("/graphql", json=body)).json()
            return payload

    answers = await asyncio.gather(*(attempt() for _ in range(8)))
    ids = {str(decode(a["data"]["sendMessage"]["id"], "Message", field="id")) for a in answers}
    replays = [a["extensions"]["idempotency"]["sendMessage"]["replayed"] for a in answers]
    assert len(ids) == 1, answers
    assert replays.count(False) == 1, replays
    stored = await _messages_by_body(crash_database.owner_database_url)
    assert stored["Én gang."] == list(ids)
    engine = create_engine(crash_database.owner_database_url)
    try:
        async with engine.connect() as connection:
            keys = await connection.scalar(
                text("SELECT count(*) FROM idempotency_keys WHERE key = 'race-1'")
            )
    finally:
        await engine.dispose()
    assert keys == 1
