"""What row-level security costs: the same raw statement (a hot read's SQL floor) as the owner,
whom no policy filters, and as the application role inside a transaction that carries the
actor's tenant settings, as a request's does (app.db._apply_scope). Timed by PostgreSQL itself
(EXPLAIN ANALYZE without per-node timing: planning plus execution), so that the figure is the
statement's and not the client's, and the two sides take turns sample by sample, so that a busy
machine slows both alike. The ratio of the medians is the price of the policies; both sides
must return the same rows."""

from __future__ import annotations

import statistics
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


async def _sample(connection: AsyncConnection, case: Case, scoped: bool) -> tuple[float, int]:
    """One statement in a transaction of its own: (planning + execution seconds, rows)."""
    if scoped:
        await connection.execute(text(SCOPE_SQL), case.scope)
    explained = await connection.execute(
        text(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {case.sql}"), case.params
    )
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
                owner_timings, app_timings = [], []
                owner_rows = app_rows = 0
                for n in range(10 + samples):  # the first ten cache both sides' plans
                    owner_time, owner_rows = await _sample(as_owner, case, scoped=False)
                    app_time, app_rows = await _sample(as_app, case, scoped=True)
                    if n >= 10:
                        owner_timings.append(owner_time)
                        app_timings.append(app_time)
                if owner_rows != app_rows:
                    raise AssertionError(
                        f"{case.name}: {app_rows} rows under RLS, {owner_rows} as owner"
                    )
                owner_ms = statistics.median(owner_timings) * 1000
                app_ms = statistics.median(app_timings) * 1000
                results.append(
                    {
                        "statement": case.name,
                        "rows": owner_rows,
                        "owner_ms": owner_ms,
                        "app_ms": app_ms,
                        "ratio": app_ms / owner_ms,
                    }
                )
    finally:
        await owner.dispose()
        await app.dispose()
    return results


def print_rls(results: list[dict[str, Any]]) -> None:
    print(
        "RLS: the raw statement as the app role with the tenant settings vs as the owner"
        " (server time: planning + execution, median)"
    )
    print(
        "{:<16}{:>6}{:>11}{:>13}{:>7}".format(
            "statement", "rows", "owner ms", "app role ms", "ratio"
        )
    )
    for r in results:
        print(
            f"{r['statement']:<16}{r['rows']:>6}{r['owner_ms']:>11.3f}{r['app_ms']:>13.3f}"
            f"{r['ratio']:>7.2f}"
        )
