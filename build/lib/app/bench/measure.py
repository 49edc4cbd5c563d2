"""Measuring one operation of `make bench` (app/bench/run.py): the SQL statements per request,
median and p99 latency, and the median of the raw SQL that fetches the same data."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event, text


class Meter:
    def __init__(self, engine: Any) -> None:
        self.statements = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.statements += 1


async def measure(
    name: str,
    requests: int,
    call: Callable[[int], Awaitable[None]],
    meter: Meter,
    floor: Callable[[int], Awaitable[None]],
) -> dict[str, Any]:
    for i in range(min(5, requests)):  # warm caches and pools
        await call(i)
    timings, statements = [], []
    for i in range(requests):
        before = meter.statements
        started = time.perf_counter()
        await call(i)
        timings.append(time.perf_counter() - started)
        statements.append(meter.statements - before)
    floor_timings = []
    for i in range(requests):
        started = time.perf_counter()
        await floor(i)
        floor_timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    return {
        "operation": name,
        "statements": max(statements),
        "median_ms": median * 1000,
        "p99_ms": statistics.quantiles(timings, n=100)[98] * 1000,
        "raw_sql_median_ms": statistics.median(floor_timings) * 1000,
        "ratio": median / statistics.median(floor_timings),
    }


async def scalar(engine: Any, sql: str, **params: Any) -> Any:
    async with engine.connect() as c:
        return (await c.execute(text(sql), params)).scalar()
