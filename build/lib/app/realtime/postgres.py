"""The broker across processes: PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from app.realtime.base import DEFAULT_QUEUE_SIZE, FanOut, Subscription, encode_payload

logger = logging.getLogger(__name__)
# PostgreSQL identifiers (LISTEN channels among them) hold at most 63 bytes.
_MAX_IDENTIFIER_BYTES = 63
_PLAIN_CHANNEL = re.compile(r"[A-Za-z0-9_.:-]+")


def asyncpg_dsn(url: str) -> str:
    """``postgresql+asyncpg://u@h/db`` (SQLAlchemy) -> ``postgresql://u@h/db`` (asyncpg)."""
    parsed = make_url(url)
    if parsed.get_backend_name() not in {"postgresql", "postgres"}:
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string()}")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def pg_channel(channel: str) -> str:
    """The PostgreSQL channel for an application channel: a prefixed name, or a hash.

    Plain short names stay readable (``seddel:thread:123``) for debugging in
    pg_stat_activity; anything longer than an identifier or with odd characters becomes
    ``seddel#<sha256>``. The two prefixes differ, so the mapping stays one-to-one. asyncpg
    quotes the name for LISTEN; pg_notify takes it as a plain string.
    """
    if not channel:
        raise ValueError("channel name must not be empty")
    plain = f"seddel:{channel}"
    if _PLAIN_CHANNEL.fullmatch(channel) and len(plain) <= _MAX_IDENTIFIER_BYTES:
        return plain
    return "seddel#" + hashlib.sha256(channel.encode("utf-8")).hexdigest()[:48]


class PostgresBroker:
    """Fan-out across processes through PostgreSQL LISTEN/NOTIFY.

    One listening connection per process carries every channel its subscribers want
    (LISTEN on the first local subscriber, UNLISTEN after the last); notifications fan out
    locally. Publishing uses a small separate pool, so a publish never waits behind the
    listener. A supervisor task pings the listener and, when it drops, reconnects with
    backoff and LISTENs again; events sent during the gap are lost (best effort).
    """

    def __init__(
        self,
        dsn: str,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        application_name: str = "seddel-broker",
        keepalive_interval: float = 30.0,
        max_reconnect_delay: float = 10.0,
        publish_pool_size: int = 4,
    ) -> None:
        self._dsn = asyncpg_dsn(dsn)
        self._queue_size = queue_size
        self._application_name = application_name
        self._keepalive_interval = keepalive_interval
        self._max_reconnect_delay = max_reconnect_delay
        self._publish_pool_size = publish_pool_size
        self._fanout = FanOut()
        # Serialises every use of the listening connection (asyncpg runs one at a time)
        # and keeps the set of LISTENed channels in step with the fan-out.
        self._lock = asyncio.Lock()
        self._listener: asyncpg.Connection | None = None
        self._pool: asyncpg.Pool | None = None  # for publishing
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self) -> None:
        if self._pool is not None:
            raise RuntimeError("broker already started")
        self._closed = False
        self._pool = await asyncpg.create_pool(
            self._dsn,
            min_size=1,
            max_size=self._publish_pool_size,
            server_settings={"application_name": f"{self._application_name}-publish"},
        )
        try:
            await self._connect_listener()  # fail fast at startup if the database is away
        except BaseException:
            pool, self._pool = self._pool, None
            pool.terminate()
            raise
        self._supervisor = asyncio.create_task(self._supervise(), name="seddel-broker-listener")

    async def close(self) -> None:
        self._closed = True
        self._fanout.close_all()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        await self._drop_listener()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), timeout=5)
            except TimeoutError:
                pool.terminate()

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        if self._pool is None:
            raise RuntimeError("broker is not started (or closed)")
        raw = encode_payload(payload)
        await self._pool.execute("SELECT pg_notify($1, $2)", pg_channel(channel), raw)

    def subscriber_count(self, channel: str) -> int:
        """Subscribers of ``channel`` in this process (for metrics and tests)."""
        return self._fanout.count(pg_channel(channel))

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        if self._closed:
            raise RuntimeError("broker is closed")
        key = pg_channel(channel)
        subscription = Subscription(channel, self._queue_size)
        async with self._lock:
            if self._fanout.add(key, subscription):
                try:
                    await self._listen(key)
                except BaseException:
                    self._fanout.remove(key, subscription)
                    raise
        try:
            yield subscription
        finally:
            async with self._lock:
                if self._fanout.remove(key, subscription):
                    await self._unlisten(key)

    # The helpers below run with self._lock held.

    async def _listen(self, key: str) -> None:
        listener = self._listener
        if listener is None or listener.is_closed():
            return  # reconnecting: the new connection LISTENs every registered channel
        try:
            await listener.add_listener(key, self._on_notification)
        except Exception:
            if not listener.is_closed():
                raise
            self._lost.set()  # the connection died under us; the supervisor takes over

    async def _unlisten(self, key: str) -> None:
        listener = self._listener
        if listener is None or listener.is_closed():
            return
        try:
            await listener.remove_listener(key, self._on_notification)
        except Exception:
            # A channel left LISTENed only costs ignored notifications; never fail the
            # subscriber's exit over it.
            logger.warning("UNLISTEN %s failed", key, exc_info=True)
            if listener.is_closed() and not self._closed:
                self._lost.set()

    def _on_notification(self, connection: object, pid: int, channel: str, payload: str) -> None:
        self._fanout.deliver(channel, payload)

    def _on_terminated(self, connection: object) -> None:
        if connection is self._listener and not self._closed:
            self._lost.set()

    async def _connect_listener(self) -> None:
        connection = await asyncpg.connect(
            self._dsn,
            timeout=10,
            server_settings={"application_name": self._application_name},
        )
        try:
            async with self._lock:
                for key in self._fanout.registered():
                    await connection.add_listener(key, self._on_notification)
                connection.add_termination_listener(self._on_terminated)
                self._listener = connection
                self._lost.clear()
        except BaseException:
            connection.terminate()
            raise

    async def _drop_listener(self) -> None:
        async with self._lock:
            listener, self._listener = self._listener, None
        if listener is None:
            return
        listener.remove_termination_listener(self._on_terminated)
        try:
            await asyncio.wait_for(listener.close(), timeout=5)
        except Exception:  # a broken connection cannot close politely; cut it
            logger.debug("broker listener did not close cleanly", exc_info=True)
            listener.terminate()

    async def _healthy(self) -> bool:
        async with self._lock:
            listener = self._listener
            if listener is None or listener.is_closed():
                return False
            try:
                await listener.fetchval("SELECT 1", timeout=10)
            except Exception:
                logger.warning("broker listener failed its keepalive", exc_info=True)
                return False
            return True

    async def _supervise(self) -> None:
        # Waits for the termination callback, or pings every keepalive_interval: a
        # half-open TCP connection (a NAT dropping idle flows) never says it is gone.
        while not self._closed:
            try:
                await asyncio.wait_for(self._lost.wait(), timeout=self._keepalive_interval)
            except TimeoutError:
                if await self._healthy():
                    continue
            logger.warning("broker listener connection lost; reconnecting")
            await self._drop_listener()
            await self._reconnect()

    async def _reconnect(self) -> None:
        delay = 0.1
        while not self._closed:
            try:
                await self._connect_listener()
            except Exception:
                logger.warning("broker reconnect failed; retrying in %.1fs", delay, exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_reconnect_delay)
            else:
                logger.info("broker listener reconnected")
                return
