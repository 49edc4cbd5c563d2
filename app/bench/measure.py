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
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event, text

from app.bench.wire import WireProxy

# Requests per operation whose statements, round trips and transactions are counted, each
# after the same request has run once on the counting application (its caches, pool and
# prepared statements warm): the steady state, reported as the most any of them needed.
COUNTED_REQUESTS = 3


class Meter:
    def __init__(self, engine: Any, proxy: WireProxy) -> None:
        self.statements = 0
        self.proxy = proxy
        self.counting = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.statements += 1

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
) -> dict[str, Any]:
    counted = min(COUNTED_REQUESTS, requests)
    counts: list[tuple[int, int, int]] = []
    with meter.counted():
        for i in range(counted):
            await call(i)
        for i in range(counted):
            before = meter.snapshot()
            await call(i)
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
    }


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
