"""What row-level security costs: the same raw statement (a hot read's SQL floor) as the owner,
whom no policy filters, and as the application role inside a transaction that carries the
actor's tenant settings, as a request's does (app.db._apply_scope). Timed by PostgreSQL itself
(EXPLAIN ANALYZE without per-node timing: planning plus execution), so that the figure is the
statement's and not the client's, and the two sides take turns sample by sample, so that a busy
machine slows both alike. The ratio of the medians is the price of the policies; both sides
must return the same rows.

Each statement is measured twice. "Planned" sends it as text, so PostgreSQL plans it every time
(and with the policies' quals, planning is most of the difference). "Prepared" is how a request
runs it: asyncpg prepares every statement and keeps it per connection (SQLAlchemy's asyncpg
dialect, `prepared_statement_cache_size`), so after the first executions PostgreSQL reuses the
plan, and what is left is the policy's filter at execution."""

from __future__ import annotations

import re
import statistics
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.bench.messaging import INBOX_SQL, THREAD_SQL
from app.bench.presence import GROUP_DAY_SQL
from app.bench.subjects import Subjects
from app.db import create_engine

CHILD_DAY_SQL = (
    "SELECT e.*, u.name FROM day_entries e JOIN users u ON u.id = e.recorded_by"
    " WHERE e.child_id = :c AND e.day = :d ORDER BY e.at"
)
SCOPE_SQL = (
    "SELECT set_config('seddel.institution_ids', :ids, true),"
    " set_config('seddel.user_id', :user_id, true)"
)


@dataclass(frozen=True)
class Case:
    name: str
    sql: str
    params: dict[str, Any]
    scope: dict[str, str]


def cases(subjects: Subjects) -> list[Case]:
    guardian = {
        "ids": ",".join(sorted(str(i) for i in subjects.guardian_tenants)),
        "user_id": str(subjects.guardian_id),
    }
    admin = {"ids": str(subjects.institution_id), "user_id": str(subjects.admin_id)}
    return [
        Case("inbox", INBOX_SQL, {"u": subjects.guardian_id}, guardian),
        Case("groupDay", GROUP_DAY_SQL, {"g": subjects.group_id}, admin),
        Case("thread", THREAD_SQL, {"t": subjects.thread_id}, guardian),
        Case("childDay", CHILD_DAY_SQL, {"c": subjects.child_id, "d": date.today()}, guardian),
    ]


def _positional(case: Case) -> tuple[str, str, list[Any]]:
    """The case as a prepared statement: (its parameter types, its SQL with $n, the values)."""
    names = list(dict.fromkeys(re.findall(r":(\w+)", case.sql)))
    types = ", ".join("uuid" if isinstance(case.params[n], uuid.UUID) else "date" for n in names)
    sql = re.sub(r":(\w+)", lambda m: f"${names.index(m.group(1)) + 1}", case.sql)
    return types, sql, [case.params[n] for n in names]


def _literal(value: Any) -> str:
    return f"'{value}'"  # a uuid or a date from the seeded database, never user input


async def _prepare(connection: AsyncConnection, case: Case) -> None:
    types, sql, _ = _positional(case)
    await connection.exec_driver_sql(f"PREPARE rls_{case.name} ({types}) AS {sql}")
    await connection.commit()


async def _sample(
    connection: AsyncConnection, case: Case, scoped: bool, prepared: bool
) -> tuple[float, int]:
    """One statement in a transaction of its own: (planning + execution seconds, rows)."""
    if scoped:
        await connection.execute(text(SCOPE_SQL), case.scope)
    explain = "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON)"
    if prepared:
        values = ", ".join(_literal(v) for v in _positional(case)[2])
        explained = await connection.exec_driver_sql(f"{explain} EXECUTE rls_{case.name}({values})")
    else:
        explained = await connection.execute(text(f"{explain} {case.sql}"), case.params)
    report = explained.scalar_one()[0]
    await connection.rollback()
    seconds = (report["Planning Time"] + report["Execution Time"]) / 1000
    return seconds, int(report["Plan"]["Actual Rows"])


async def measure_rls(
    owner_url: str, app_url: str, subjects: Subjects, samples: int = 200
) -> list[dict[str, Any]]:
    """Owner and app role take turns, sample by sample, so that a busy machine slows both."""
    owner, app = create_engine(owner_url), create_engine(app_url)
    results = []
    try:
        async with owner.begin() as connection:  # statistics of what the operations wrote
            await connection.execute(text("ANALYZE"))
        async with owner.connect() as as_owner, app.connect() as as_app:
            for case in cases(subjects):
                await _prepare(as_owner, case)
                await _prepare(as_app, case)
                for prepared in (False, True):
                    results.append(await _compare(as_owner, as_app, case, prepared, samples))
    finally:
        await owner.dispose()
        await app.dispose()
    return results


async def in_turns(
    owner: Callable[[], Awaitable[float]], app: Callable[[], Awaitable[float]], samples: int
) -> tuple[float, float]:
    """The median seconds of `owner` and `app`, sampled in turns, so that a busy machine slows
    both alike. The first ten turns cache both sides' plans (and, prepared, let PostgreSQL
    settle on one)."""
    owner_timings, app_timings = [], []
    for n in range(10 + samples):
        owner_time, app_time = await owner(), await app()
        if n >= 10:
            owner_timings.append(owner_time)
            app_timings.append(app_time)
    return statistics.median(owner_timings), statistics.median(app_timings)


async def _compare(
    as_owner: AsyncConnection, as_app: AsyncConnection, case: Case, prepared: bool, samples: int
) -> dict[str, Any]:
    rows: dict[str, int] = {}

    async def owner() -> float:
        seconds, rows["owner"] = await _sample(as_owner, case, False, prepared)
        return seconds

    async def app() -> float:
        seconds, rows["app"] = await _sample(as_app, case, True, prepared)
        return seconds

    owner_seconds, app_seconds = await in_turns(owner, app, samples)
    if rows["owner"] != rows["app"]:
        raise AssertionError(f"{case.name}: {rows['app']} rows under RLS, {rows['owner']} as owner")
    return {
        "statement": case.name,
        "how": "prepared" if prepared else "planned",
        "rows": rows["owner"],
        "owner_ms": owner_seconds * 1000,
        "app_ms": app_seconds * 1000,
        "ratio": app_seconds / owner_seconds,
    }


def print_rls(results: list[dict[str, Any]]) -> None:
    print(
        "RLS: the raw statement as the app role with the tenant settings vs as the owner"
        " (server time: planning + execution, median); planned: sent as text, planned every"
        " time; prepared: as a request runs it (asyncpg prepares and keeps its statements);"
        " sent: the answer one request sent, after its sign-in, prepared (rls_sent.py)"
    )
    print(
        "{:<16}{:>10}{:>6}{:>11}{:>13}{:>7}".format(
            "statement", "how", "rows", "owner ms", "app role ms", "ratio"
        )
    )
    for r in results:
        print(
            f"{r['statement']:<16}{r['how']:>10}{r['rows']:>6}{r['owner_ms']:>11.3f}"
            f"{r['app_ms']:>13.3f}{r['ratio']:>7.2f}"
        )
