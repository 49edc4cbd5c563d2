"""Row-level security that costs little (PostgreSQL only): every policy reads the tenant scope
once per statement, as an InitPlan (migration 0071), and the hot reads' statements, exactly as a
request sends them, are planned as the application role without a sequential scan of a table
that grows with the customers.

The plan test fills a rolled-back transaction of the owner's with thousands of rows in other
institutions (app/bench/seed.py's volume), ANALYZEs them, becomes the application role
(SET LOCAL ROLE), runs the hot documents through the real server on that connection while
recording every statement, then replays them: each request's own set_config first, EXPLAIN
of each read after it."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.bench.seed import insert_volume
from app.config import Settings
from app.core.runtime import Runtime
from app.db import create_engine, session_factory
from app.realtime import InProcessBroker
from app.storage import LocalStorage
from tests.client import GraphQLClient
from tests.conftest import APP_ROLE, OWNER_URL, is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="row-level security is PostgreSQL's")

# Tables that grow with institutions, children and days: never read whole.
GROWING = {
    "users",
    "sessions",
    "children",
    "guardian_links",
    "day_entries",
    "message_threads",
    "messages",
    "message_participants",
    "presences",
}
SCOPE_FUNCTION = re.compile(r"(\(\s*SELECT\s+)?seddel_(tenants|user)\(\)", re.IGNORECASE)


async def test_every_policy_reads_the_tenant_scope_once(connection: AsyncConnection) -> None:
    """A policy that calls seddel_tenants() / seddel_user() outside a scalar subquery evaluates
    it for every row (and blinds the planner): write `(SELECT seddel_tenants())::uuid[]`."""
    rows = (
        await connection.execute(
            text(
                "SELECT tablename, policyname, coalesce(qual, '') || ' ' ||"
                " coalesce(with_check, '') AS expressions FROM pg_policies"
                " WHERE schemaname = current_schema()"
            )
        )
    ).all()
    assert rows
    per_row = [
        f"{row.tablename}.{row.policyname}"
        for row in rows
        if any(m.group(1) is None for m in SCOPE_FUNCTION.finditer(row.expressions))
    ]
    assert not per_row, f"policies that evaluate the tenant scope per row: {per_row}"


@pytest.fixture
async def big(migrated: Settings) -> AsyncIterator[AsyncConnection]:
    """The owner's connection in a transaction that is rolled back: the demo, plus sixty
    institutions of 28 children (1,680), their guardians, a day of entries each, a presence
    each and a session and a thread with two messages per guardian, analysed; then the
    application role. Many institutions, as in production: the planner does not know the
    tenant array of an InitPlan and assumes ten institutions of those it has seen."""
    assert OWNER_URL
    engine = create_engine(OWNER_URL)
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await insert_volume(
            connection,
            "not-a-login",
            institutions=60,
            groups_per_institution=2,
            children_per_group=14,
            prefix="plan-",
        )
        await connection.execute(text(VOLUME_SQL))
        for table in sorted(GROWING):
            await connection.execute(text(f"ANALYZE {table}"))
        await connection.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
        yield connection
        await transaction.rollback()
    await engine.dispose()


# Per guardian of the volume: a session, a thread they started with two messages; per child a
# presence.
VOLUME_SQL = """
WITH threads AS (
  INSERT INTO message_threads (id, institution_id, subject, created_by, created_at,
    is_broadcast, reply_to_all, audience, sensitive, last_message_at)
  SELECT gen_random_uuid(), l.institution_id, 'Spørgsmål', l.user_id, now(), false, false,
    'staff', false, now() - make_interval(secs => row_number() OVER ())
  FROM guardian_links l JOIN users u ON u.id = l.user_id WHERE u.email_key LIKE 'plan-%'
  RETURNING id, institution_id, created_by
), participants AS (
  INSERT INTO message_participants (id, institution_id, thread_id, kind, user_id, role,
    can_reply, added_at)
  SELECT gen_random_uuid(), institution_id, id, 'user', created_by, 'guardian', true, now()
  FROM threads
), sessions AS (
  INSERT INTO sessions (id, user_id, token_hash, kind, created_at, last_used_at, expires_at,
    idle_timeout_seconds)
  SELECT gen_random_uuid(), id, md5(id::text) || md5(email_key), 'password', now(), now(),
    now() + interval '1 day', 3600
  FROM users WHERE email_key LIKE 'plan-%'
), presences AS (
  INSERT INTO presences (id, institution_id, child_id, group_id, checked_in_at, checked_in_by,
    checkout_estimated)
  SELECT gen_random_uuid(), c.institution_id, c.id, c.group_id, now() - interval '2 hours',
    a.user_id, false
  FROM children c JOIN admin_memberships a ON a.institution_id = c.institution_id
  WHERE c.first_name IS NOT NULL AND a.user_id IN
    (SELECT id FROM users WHERE email_key LIKE 'plan-admin%')
)
INSERT INTO messages (id, institution_id, thread_id, sender_id, sender_role,
  sent_as_institution, body, is_auto_reply, created_at)
SELECT gen_random_uuid(), t.institution_id, t.id, t.created_by, 'guardian', false,
  'Hej ' || n, false, now()
FROM threads t CROSS JOIN generate_series(1, 2) AS n
"""


class Recorder:
    """Every statement a request sends on the connection, with its parameters."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.statements.append((statement, parameters))


@contextmanager
def recording(connection: AsyncConnection) -> Iterator[Recorder]:
    recorder = Recorder()
    event.listen(connection.sync_connection, "before_cursor_execute", recorder)
    try:
        yield recorder
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", recorder)


def _sequential_scans(plan: Any) -> Iterator[str]:
    if isinstance(plan, dict):
        if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in GROWING:
            yield plan["Relation Name"]
        for value in plan.values():
            yield from _sequential_scans(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from _sequential_scans(value)


def _global_id(type_name: str, value: object) -> str:
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


async def test_hot_reads_scan_no_growing_table_whole(
    big: AsyncConnection, settings: Settings, tmp_path: Path
) -> None:
    runtime = Runtime(
        settings=settings,
        engine=None,
        sessions=session_factory(big, join_transaction_mode="create_savepoint"),
        storage=LocalStorage(tmp_path / "media", settings.secret_key, settings.public_url),
        broker=InProcessBroker(),
    )
    today = date.today().isoformat()
    async with GraphQLClient.open(runtime) as client:
        me = (await client.gql("Me", as_="mette@example.com"))["me"]
        child = me["children"][0]
        admin = "admin@solsikken.example"
        group = next(
            c["group"]["id"]
            for c in me["children"]
            if c["institution"]["name"] == child["institution"]["name"]
        )
        started = await client.gql(
            "StartThread",
            {
                "input": {
                    "institutionId": child["institution"]["id"],
                    "subject": "Planer",
                    "body": "Hej alle",
                    "recipients": {"groups": [group]},
                }
            },
            as_=admin,
        )
        thread = started["startThread"]["threads"][0]["id"]
        await client.token_for(admin)
        requests: list[tuple[str, dict[str, Any], str]] = [
            ("Inbox", {"first": 20}, "mette@example.com"),
            ("ThreadMessagesPage", {"id": thread, "first": 50}, "mette@example.com"),
            ("ChildDay", {"child": child["id"], "date": today}, "mette@example.com"),
            ("GroupDay", {"groupId": group}, admin),
            ("Me", {}, "mette@example.com"),
        ]
        recorded: list[tuple[str, list[tuple[str, Any]]]] = []
        for operation, variables, who in requests:
            with recording(big) as recorder:
                await client.gql(operation, variables, as_=who)
            recorded.append((operation, recorder.statements))
    scans = []
    explained = 0
    for operation, statements in recorded:
        for statement, parameters in statements:
            head = statement.lstrip()[:40].upper()
            if head.startswith("SELECT SET_CONFIG"):
                await big.exec_driver_sql(statement, parameters)
            elif head.startswith(("SELECT", "WITH")):
                plan = (
                    await big.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
                ).scalar_one()
                explained += 1
                for table in _sequential_scans(plan):
                    scans.append(f"{operation}: Seq Scan on {table} in\n{statement}")
    assert explained >= len(requests)
    assert not scans, "\n\n".join(scans)
