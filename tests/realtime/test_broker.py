"""Brokers: fan-out, isolation, clean unsubscribe; PostgreSQL across two connections.

No test sleeps to "let things settle": isolation is shown by publishing a marker after the
event that must not arrive (one queue keeps order), and every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from app.config import Settings
from app.realtime import (
    InProcessBroker,
    PayloadTooLarge,
    PostgresBroker,
    Subscription,
    asyncpg_dsn,
    create_broker,
    pg_channel,
)
from app.realtime.base import MAX_PAYLOAD_BYTES

TIMEOUT = 5.0


async def next_event(events: Subscription) -> dict[str, Any]:
    async with asyncio.timeout(TIMEOUT):
        return await anext(events)


def channel_name() -> str:
    return f"thread:{uuid.uuid4()}"


# -- in process -------------------------------------------------------------------------


@pytest.fixture
async def broker() -> AsyncIterator[InProcessBroker]:
    broker = InProcessBroker()
    await broker.start()
    yield broker
    await broker.close()


async def test_every_subscriber_of_a_channel_receives_the_event(broker: InProcessBroker) -> None:
    channel = channel_name()
    async with broker.subscribe(channel) as first, broker.subscribe(channel) as second:
        await broker.publish(channel, {"message_id": "m1"})

        assert await next_event(first) == {"message_id": "m1"}
        assert await next_event(second) == {"message_id": "m1"}


async def test_channels_are_isolated(broker: InProcessBroker) -> None:
    mine, other = channel_name(), channel_name()
    async with broker.subscribe(mine) as events:
        await broker.publish(other, {"message_id": "not-for-me"})
        await broker.publish(mine, {"message_id": "mine"})

        assert await next_event(events) == {"message_id": "mine"}


async def test_subscribers_get_their_own_copy(broker: InProcessBroker) -> None:
    channel = channel_name()
    async with broker.subscribe(channel) as first, broker.subscribe(channel) as second:
        await broker.publish(channel, {"ids": ["a"]})

        (await next_event(first))["ids"].append("changed")

        assert await next_event(second) == {"ids": ["a"]}


async def test_leaving_the_block_unsubscribes(broker: InProcessBroker) -> None:
    channel = channel_name()
    async with broker.subscribe(channel), broker.subscribe(channel):
        assert broker.subscriber_count(channel) == 2

    assert broker.subscriber_count(channel) == 0
    await broker.publish(channel, {"message_id": "nobody listens"})  # no error, no leak


async def test_a_cancelled_subscriber_unsubscribes(broker: InProcessBroker) -> None:
    channel = channel_name()
    subscribed = asyncio.Event()

    async def listen() -> None:
        async with broker.subscribe(channel) as events:
            subscribed.set()
            async for _ in events:
                pass

    task = asyncio.create_task(listen())
    async with asyncio.timeout(TIMEOUT):
        await subscribed.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert broker.subscriber_count(channel) == 0


async def test_a_slow_subscriber_loses_the_oldest_events_not_memory() -> None:
    broker = InProcessBroker(queue_size=2)
    channel = channel_name()
    async with broker.subscribe(channel) as events:
        for n in range(5):
            await broker.publish(channel, {"n": n})

        assert [await next_event(events), await next_event(events)] == [{"n": 3}, {"n": 4}]
        assert events.dropped == 3


async def test_close_ends_every_subscription() -> None:
    broker = InProcessBroker()
    channel = channel_name()
    received: list[dict[str, Any]] = []
    subscribed = asyncio.Event()

    async def listen() -> None:
        async with broker.subscribe(channel) as events:
            subscribed.set()
            async for event in events:
                received.append(event)

    task = asyncio.create_task(listen())
    async with asyncio.timeout(TIMEOUT):
        await subscribed.wait()
        await broker.publish(channel, {"n": 1})
        await broker.close()
        await task

    assert received == [{"n": 1}]
    with pytest.raises(RuntimeError):
        await broker.publish(channel, {"n": 2})


async def test_payloads_must_be_small_json(broker: InProcessBroker) -> None:
    with pytest.raises(PayloadTooLarge):
        await broker.publish(channel_name(), {"text": "x" * MAX_PAYLOAD_BYTES})
    with pytest.raises(TypeError):
        await broker.publish(channel_name(), {"when": object()})


# -- names and settings -----------------------------------------------------------------


def test_pg_channel_names_are_safe_identifiers() -> None:
    plain = pg_channel("thread:0190c0de-0000-7000-8000-000000000000")
    long_name = pg_channel("institution:" + "x" * 100)
    odd = pg_channel('a"; DROP TABLE users; --')

    assert plain == "seddel:thread:0190c0de-0000-7000-8000-000000000000"
    assert long_name.startswith("seddel#")
    assert odd.startswith("seddel#")
    assert all(len(name.encode()) <= 63 for name in (plain, long_name, odd))
    assert pg_channel("institution:" + "x" * 100) == long_name
    assert pg_channel("institution:" + "x" * 101) != long_name
    with pytest.raises(ValueError):
        pg_channel("")


def test_asyncpg_dsn_accepts_sqlalchemy_urls() -> None:
    assert (
        asyncpg_dsn("postgresql+asyncpg://seddel:p%40ss@db:5432/seddel")
        == "postgresql://seddel:p%40ss@db:5432/seddel"
    )
    assert asyncpg_dsn("postgresql://u@h/d") == "postgresql://u@h/d"
    with pytest.raises(ValueError):
        asyncpg_dsn("sqlite+aiosqlite:///x.sqlite3")


def test_create_broker_follows_the_settings() -> None:
    assert isinstance(create_broker(Settings(broker_backend="memory")), InProcessBroker)
    postgres = Settings(
        broker_backend="postgres", database_url="postgresql+asyncpg://u@127.0.0.1/d"
    )
    assert isinstance(create_broker(postgres), PostgresBroker)
    with pytest.raises(ValueError):
        create_broker(Settings(broker_backend="postgres"))  # SQLite database_url
    with pytest.raises(ValueError):
        create_broker(Settings(broker_backend="redis"))


# -- PostgreSQL -------------------------------------------------------------------------


@pytest.fixture
def database_url() -> str:
    from tests.conftest import OWNER_URL

    if not OWNER_URL:
        pytest.skip("SEDDEL_TEST_DATABASE_URL is not a PostgreSQL URL")
    return OWNER_URL


@pytest.fixture
async def pg_brokers(database_url: str) -> AsyncIterator[tuple[PostgresBroker, PostgresBroker]]:
    """Two brokers, as two workers would have: separate listening connections."""
    tag = uuid.uuid4().hex[:12]
    publisher = PostgresBroker(database_url, application_name=f"seddel-test-a-{tag}")
    listener = PostgresBroker(database_url, application_name=f"seddel-test-b-{tag}")
    await publisher.start()
    await listener.start()
    yield publisher, listener
    await listener.close()
    await publisher.close()


async def test_postgres_delivers_across_brokers(
    pg_brokers: tuple[PostgresBroker, PostgresBroker],
) -> None:
    publisher, listener = pg_brokers
    mine, other = channel_name(), channel_name()
    async with listener.subscribe(mine) as events, listener.subscribe(mine) as again:
        await publisher.publish(other, {"message_id": "not-for-me"})
        await publisher.publish(mine, {"message_id": "m1"})

        assert await next_event(events) == {"message_id": "m1"}
        assert await next_event(again) == {"message_id": "m1"}


async def test_postgres_hashed_channel_names_work(
    pg_brokers: tuple[PostgresBroker, PostgresBroker],
) -> None:
    publisher, listener = pg_brokers
    channel = f"institution:{uuid.uuid4()}:gallery:album:{uuid.uuid4()}:ÆØÅ"
    async with listener.subscribe(channel) as events:
        await publisher.publish(channel, {"photo_id": "p1"})

        assert await next_event(events) == {"photo_id": "p1"}


async def test_postgres_unsubscribe_and_resubscribe(
    pg_brokers: tuple[PostgresBroker, PostgresBroker],
) -> None:
    publisher, listener = pg_brokers
    channel = channel_name()
    async with listener.subscribe(channel):
        assert listener.subscriber_count(channel) == 1
    assert listener.subscriber_count(channel) == 0

    async with listener.subscribe(channel) as events:
        await publisher.publish(channel, {"n": 2})

        assert await next_event(events) == {"n": 2}


async def test_postgres_refuses_large_payloads(
    pg_brokers: tuple[PostgresBroker, PostgresBroker],
) -> None:
    publisher, _ = pg_brokers

    with pytest.raises(PayloadTooLarge):
        await publisher.publish(channel_name(), {"text": "x" * 8000})


async def test_postgres_listener_reconnects_after_the_connection_drops(
    database_url: str,
) -> None:
    name = f"seddel-test-reconnect-{uuid.uuid4().hex[:12]}"
    publisher, listener = (
        PostgresBroker(database_url),
        PostgresBroker(database_url, application_name=name),
    )
    await publisher.start()
    await listener.start()
    channel = channel_name()
    try:
        async with listener.subscribe(channel) as events:
            admin = await asyncpg.connect(asyncpg_dsn(database_url))
            try:
                killed = await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = $1",
                    name,
                )
            finally:
                await admin.close()
            assert killed == 1

            # Events published while the listener is away are lost (best effort), so
            # publish until one arrives through the new connection.
            async with asyncio.timeout(TIMEOUT * 2):
                while True:
                    await publisher.publish(channel, {"after": "reconnect"})
                    try:
                        event = await asyncio.wait_for(anext(events), timeout=0.2)
                    except TimeoutError:
                        continue
                    break

            assert event == {"after": "reconnect"}
    finally:
        await listener.close()
        await publisher.close()


async def test_postgres_close_ends_subscriptions(database_url: str) -> None:
    broker = PostgresBroker(database_url)
    await broker.start()
    subscribed = asyncio.Event()

    async def listen() -> list[dict[str, Any]]:
        async with broker.subscribe(channel_name()) as events:
            subscribed.set()
            return [event async for event in events]

    task = asyncio.create_task(listen())
    async with asyncio.timeout(TIMEOUT):
        await subscribed.wait()
        await broker.close()
        assert await task == []
