"""`make bench` times the very statements a request sent under EXPLAIN ANALYZE EXECUTE, which
takes its arguments as literals (app/bench/rls_sent.py): every type a compiled statement binds
must come back from them as the request sent it (PostgreSQL only)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from app.bench.rls_sent import prepare_by_name
from app.db import create_engine
from tests.conftest import CLUSTER_URL, is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="PREPARE and EXECUTE are PostgreSQL's")

STATEMENT = (
    "SELECT $1::uuid, $2::timestamptz, $3::interval, $4::text, $5::date, $6::integer,"
    " $7::boolean, $8::uuid[], $9::varchar, $10::text"
)


async def test_every_bound_type_comes_back_from_its_literal() -> None:
    values = (
        uuid.uuid4(),
        datetime(2026, 12, 5, 21, 15, 47, 9734, tzinfo=UTC),
        timedelta(days=1, seconds=61),
        'Liva\'s "day" \\ og æblegrød',
        date(2026, 12, 5),
        -7,
        True,
        [uuid.uuid4(), uuid.uuid4()],
        None,
        "",
    )
    # The cluster's named database: it exists before any worker has migrated its own.
    engine = create_engine(str(CLUSTER_URL))
    try:
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            literals = await prepare_by_name(raw, "rls_sent_check", STATEMENT, values)
            executed = await raw.fetchrow(f"EXECUTE rls_sent_check({', '.join(literals)})")
            sent = await raw.fetchrow(STATEMENT, *values)
            await raw.execute("DEALLOCATE rls_sent_check")
    finally:
        await engine.dispose()

    assert tuple(executed) == tuple(sent) == values
