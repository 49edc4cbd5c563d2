"""What row-level security costs the statements the hot reads really send: the answer statement
one request sent (recorded with its parameters by the table's own-SQL column, app/bench/
measure.py), after that request's sign-in, as the owner, whom no policy filters, and as the
application role, whose tenant scope the sign-in set. The floors of rls.py are small hand-written
queries; this is the issue's "same statement as app role / as owner" for the compiled answers.

Timed as rls.py times its prepared statements: a PREPAREd statement run by EXPLAIN ANALYZE
EXECUTE without per-node timing (planning plus execution, PostgreSQL's own figure), owner and
app role taking turns sample by sample, each sample in a transaction rolled back (its
access-log rows and the session's last-use touch do not stay). EXECUTE takes its arguments as
literals: PostgreSQL writes them itself (quote_nullable of each value in its parameter's type),
so any type a statement binds round-trips; the request keys each request makes anew are
renewed per sample, as the own-SQL replay renews them. Both sides must give the same answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from app.bench.measure import Recorded
from app.bench.rls import in_turns
from app.db import create_engine


@dataclass
class _Side:
    """One connection's view of a request: its sign-in prepared, its answers PREPAREd by name
    with their arguments as literals."""

    raw: Any
    sign_in: Any
    names: list[str]
    literals: list[list[str]]


async def prepare_by_name(
    raw: Any, name: str, statement: str, values: tuple[Any, ...]
) -> list[str]:
    """PREPARE `statement` as `name` with its parameters' types; returns `values` as the SQL
    literals its EXECUTE takes, written by PostgreSQL in those types."""
    parameters = (await raw.prepare(statement)).get_parameters()
    types = [await raw.fetchval("SELECT format_type($1, NULL)", p.oid) for p in parameters]
    typed = f"({', '.join(types)})" if types else ""
    await raw.execute(f"PREPARE {name}{typed} AS {statement}")
    return [
        await raw.fetchval(f"SELECT quote_nullable($1::{type_name})", value)
        for type_name, value in zip(types, values, strict=True)
    ]


def _fresh_literals(recorded: Recorded, cached: list[str]) -> str:
    """The cached literals with this sample's new request keys."""
    fresh = recorded.fresh()
    return ", ".join(
        f"'{new}'" if new != old else literal
        for new, old, literal in zip(fresh, recorded.parameters, cached, strict=True)
    )


async def _side(connection: Any, operation: str, sent: list[Recorded]) -> _Side:
    raw = (await connection.get_raw_connection()).driver_connection
    names, cached = [], []
    for n, recorded in enumerate(sent[1:]):
        name = f"rls_sent_{operation.lower()}_{n}"
        cached.append(await prepare_by_name(raw, name, recorded.statement, recorded.parameters))
        names.append(name)
    return _Side(raw, await raw.prepare(sent[0].statement), names, cached)


@asynccontextmanager
async def _signed_in(side: _Side, sent: list[Recorded]) -> AsyncIterator[None]:
    """A transaction of the request's: its sign-in first, rolled back after."""
    transaction = side.raw.transaction()
    await transaction.start()
    try:
        await side.sign_in.fetch(*sent[0].fresh())
        yield
    finally:
        await transaction.rollback()


async def _sample(side: _Side, sent: list[Recorded]) -> float:
    seconds = 0.0
    async with _signed_in(side, sent):
        for name, recorded, cached in zip(side.names, sent[1:], side.literals, strict=True):
            explained = await side.raw.fetchval(
                "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON)"
                f" EXECUTE {name}({_fresh_literals(recorded, cached)})"
            )
            # SQLAlchemy's dialect gives the driver a JSON codec; a bare connection has none.
            report = (json.loads(explained) if isinstance(explained, str) else explained)[0]
            seconds += (report["Planning Time"] + report["Execution Time"]) / 1000
    return seconds


async def _answers(side: _Side, sent: list[Recorded]) -> list[Any]:
    async with _signed_in(side, sent):
        return [(await side.raw.fetchrow(r.statement, *r.fresh()))[0] for r in sent[1:]]


async def measure_sent(
    owner_url: str, app_url: str, sent: dict[str, list[Recorded]], samples: int = 200
) -> list[dict[str, Any]]:
    """Per operation (its sign-in first, then what it answered with): owner and app role in
    turns (rls.in_turns), as rls.measure_rls does."""
    owner, app = create_engine(owner_url), create_engine(app_url)
    results = []
    try:
        async with owner.connect() as as_owner, app.connect() as as_app:
            for operation, statements in sent.items():
                if len(statements) < 2:
                    continue
                owner_side = await _side(as_owner, operation, statements)
                app_side = await _side(as_app, operation, statements)
                if await _answers(owner_side, statements) != await _answers(app_side, statements):
                    raise AssertionError(f"{operation}: another answer under RLS than as owner")
                owner_seconds, app_seconds = await in_turns(
                    partial(_sample, owner_side, statements),
                    partial(_sample, app_side, statements),
                    samples,
                )
                results.append(
                    {
                        "statement": operation,
                        "how": "sent",
                        "rows": 1,
                        "owner_ms": owner_seconds * 1000,
                        "app_ms": app_seconds * 1000,
                        "ratio": app_seconds / owner_seconds,
                    }
                )
    finally:
        await owner.dispose()
        await app.dispose()
    return results
