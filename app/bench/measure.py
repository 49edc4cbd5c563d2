"""Measuring one operation of `make bench` (app/bench/run.py): per request the SQL statements,
the database round trips and transactions (counted at the wire, app/bench/wire.py), the median
and p99 latency, and the median of the raw SQL that fetches the same data.

The counts come from an application whose engine goes through the counting proxy; the
latencies from a second application over the same database that connects directly, so that
the proxy's hop (some 60 µs a round trip) is not in the timings. `Meter.counting` says which
of the two the bench's HTTP client reaches (`MeteredTransport`)."""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import event, text

from app.bench.wire import WireProxy

# Requests per operation whose statements, round trips and transactions are counted, each
# after the same request has run once on the counting application (its caches, pool and
# prepared statements warm): the steady state, reported as the most any of them needed.
COUNTED_REQUESTS = 3


# What a request makes anew: the access log's request key (app.privacy.accesslog), which with
# the time keys its rows; a replay renews it so as not to collide with the recorded request's.
FRESH_PER_REQUEST = ("request_key", "access_log_key")


@dataclass(frozen=True)
class Recorded:
    """A statement as the driver got it, with the values among its parameters that each
    request makes anew (by their parameters' names)."""

    statement: str
    parameters: tuple[Any, ...]
    renewed: frozenset[str]

    def fresh(self) -> tuple[Any, ...]:
        return tuple(
            uuid.uuid4() if str(value) in self.renewed else value for value in self.parameters
        )


class Meter:
    """Counts the counting application's statements (and, while `recording` is a list, keeps
    them with their parameters: what an operation's own SQL is replayed from); `direct` is the
    engine of the application that connects directly, which replays them."""

    def __init__(self, engine: Any, proxy: WireProxy, direct: Any = None) -> None:
        self.statements = 0
        self.proxy = proxy
        self.direct = direct
        self.counting = False
        self.recording: list[Recorded] | None = None
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(
        self, _c: Any, _cur: Any, statement: str, parameters: Any, context: Any, _many: bool
    ) -> None:
        self.statements += 1
        if self.recording is not None:
            named = (getattr(context, "compiled_parameters", None) or [{}])[0]
            renewed = frozenset(
                str(value) for name, value in named.items() if name.endswith(FRESH_PER_REQUEST)
            )
            self.recording.append(Recorded(statement, tuple(parameters or ()), renewed))

    def snapshot(self) -> tuple[int, int, int]:
        wire = self.proxy.counts()
        return self.statements, wire.round_trips, wire.transactions

    @contextmanager
    def counted(self) -> Iterator[None]:
        self.counting = True
        try:
            yield
        finally:
            self.counting = False


class MeteredTransport(httpx.AsyncBaseTransport):
    """The bench's one HTTP client reaches the counting application while the meter counts,
    the direct one otherwise."""

    def __init__(
        self, meter: Meter, counted: httpx.AsyncBaseTransport, direct: httpx.AsyncBaseTransport
    ) -> None:
        self.meter, self.counted, self.direct = meter, counted, direct

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.counted if self.meter.counting else self.direct
        return await transport.handle_async_request(request)


async def measure(
    name: str,
    requests: int,
    call: Callable[[int], Awaitable[None]],
    meter: Meter,
    floor: Callable[[int], Awaitable[None]],
    *,
    own_sql: bool = False,
) -> dict[str, Any]:
    """`own_sql` (a read whose every request runs the same statements): the statements one
    request ran are also replayed as they are, `own_sql_ms` (replay_own_sql), and returned
    (`sent`)."""
    counted = min(COUNTED_REQUESTS, requests)
    counts: list[tuple[int, int, int]] = []
    recorded: list[Recorded] = []
    with meter.counted():
        for i in range(counted):
            await call(i)
        for i in range(counted):
            before = meter.snapshot()
            meter.recording = recorded if own_sql and i == 0 else None
            try:
                await call(i)
            finally:
                meter.recording = None
            after = meter.snapshot()
            counts.append((after[0] - before[0], after[1] - before[1], after[2] - before[2]))
    for i in range(min(5, requests)):  # warm caches and pools
        await call(i)
    timings = []
    for i in range(requests):
        started = time.perf_counter()
        await call(i)
        timings.append(time.perf_counter() - started)
    floor_timings = []
    for i in range(requests):
        started = time.perf_counter()
        await floor(i)
        floor_timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    p99 = statistics.quantiles(timings, n=100)[98]
    own = None
    if recorded and meter.direct is not None:
        own = statistics.median(await replay_own_sql(meter.direct, recorded, requests))
    return {
        "operation": name,
        "statements": max(c[0] for c in counts),
        "round_trips": max(c[1] for c in counts),
        "transactions": max(c[2] for c in counts),
        "median_ms": median * 1000,
        "p99_ms": p99 * 1000,
        "p99_ratio": p99 / median,
        "raw_sql_median_ms": statistics.median(floor_timings) * 1000,
        "ratio": median / statistics.median(floor_timings),
        "own_sql_ms": None if own is None else own * 1000,
        "own_ratio": None if own is None else median / own,
        # What one request sent, for what RLS costs those very statements (rls_sent.py).
        "sent": recorded,
    }


async def replay_own_sql(engine: Any, statements: list[Recorded], times: int) -> list[float]:
    """The time the database alone takes for one request's statements: the exact texts and
    parameters a request sent (the sign-in, the answer, its access-log rows), replayed on the
    driver's own connection as the application role, prepared as the application prepares
    them, in one transaction that is rolled back (nothing stays: no log row, no last-use
    touch). What the request path adds to its SQL is the API's median over this one."""
    timings = []
    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        # Prepared once and kept, as SQLAlchemy's asyncpg dialect does: asyncpg's own cache
        # (`fetch` with a text) leaves out statements over 15 KiB, which it re-plans each time.
        prepared: dict[str, Any] = {}
        for _ in range(times + 5):  # the first five: until PostgreSQL keeps a generic plan
            sent = [(s.statement, s.fresh()) for s in statements]
            started = time.perf_counter()
            transaction = raw.transaction()
            await transaction.start()
            try:
                for statement, parameters in sent:
                    if statement not in prepared:
                        prepared[statement] = await raw.prepare(statement)
                    await prepared[statement].fetch(*parameters)
            finally:
                await transaction.rollback()
            timings.append(time.perf_counter() - started)
    return timings[5:]


async def scalar(engine: Any, sql: str, **params: Any) -> Any:
    async with engine.connect() as c:
        return (await c.execute(text(sql), params)).scalar()


async def same_answers(
    post: Callable[..., Awaitable[dict[str, Any]]],
    operation: str,
    variables: dict[str, Any],
    token: str,
) -> None:
    """A compiled document answers the bench's actors exactly as the resolvers (in order)."""
    compiled = await post(operation, variables, token)
    resolved = await post(operation, variables, token, compiled=False)
    if json.dumps(compiled) != json.dumps(resolved):
        raise AssertionError(f"compiled {operation} differs: {compiled} != {resolved}")
