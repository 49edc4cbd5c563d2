"""A real database (PostgreSQL when SEDDEL_TEST_DATABASE_URL is set, SQLite otherwise), migrated
and seeded with the demo once; every test runs in an outer transaction that is rolled back."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.config import Settings
from app.core.runtime import Runtime
from app.db import create_engine, session_factory
from app.ops.migrate import migrate
from app.realtime import InProcessBroker
from app.storage import LocalStorage
from tests.client import GraphQLClient

APP_ROLE = "seddel_app"
# The cluster's database that CI names; under pytest-xdist each worker migrates a database of
# its own beside it (test_gw0, test_gw1, …), so the workers never see each other's rows.
CLUSTER_URL = os.environ.get("SEDDEL_TEST_DATABASE_URL")
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _worker_url(url: str | None) -> str | None:
    if not url or not WORKER:
        return url
    base = make_url(url)
    return base.set(database=f"{base.database}_{WORKER}").render_as_string(hide_password=False)


OWNER_URL = _worker_url(CLUSTER_URL)


def is_postgres() -> bool:
    return bool(OWNER_URL)


def _test_settings(database_url: str, owner_url: str) -> Settings:
    # Cheap argon2 in tests: the parameters are not what is under test (except rehashing).
    return Settings(
        database_url=database_url,
        migration_database_url=owner_url,
        argon2_time_cost=1,
        argon2_memory_cost_kib=1024,
        argon2_parallelism=1,
        log_json=False,
    )


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(application url, owner url), freshly migrated."""
    if OWNER_URL:
        app_url = make_url(OWNER_URL).set(username=APP_ROLE).render_as_string(hide_password=False)
        return app_url, OWNER_URL
    path = tmp_path_factory.mktemp("db") / "seddel.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    return url, url


@pytest.fixture(scope="session")
async def migrated(database_urls: tuple[str, str]) -> Settings:
    app_url, owner_url = database_urls
    settings = _test_settings(app_url, owner_url)
    if OWNER_URL:
        await _fresh_database(owner_url)
    import asyncio

    await asyncio.to_thread(migrate, settings)
    await _seed(settings)
    return settings


async def _fresh_database(owner_url: str) -> None:
    """An empty public schema in this worker's database, and the app role with a login.

    The role is the cluster's, shared by every worker: it is made under an advisory lock, so two
    workers starting at once do not both try to create it."""
    assert CLUSTER_URL
    cluster = create_async_engine(CLUSTER_URL, isolation_level="AUTOCOMMIT")
    async with cluster.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(4711)"))
        try:
            if owner_url != CLUSTER_URL:
                name = make_url(owner_url).database
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
            await connection.execute(
                text(
                    f"DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}')"
                    f" THEN CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS; END IF; END$$"
                )
            )
            # The operator's step in production: give the app role a login (trust auth here).
            await connection.execute(text(f"ALTER ROLE {APP_ROLE} LOGIN"))
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(4711)"))
    await cluster.dispose()
    if owner_url == CLUSTER_URL:
        owner = create_engine(owner_url)
        async with owner.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await owner.dispose()


async def _seed(settings: Settings) -> None:
    from app.ops.demo import seed_demo

    engine = create_engine(settings.owner_database_url)
    async with session_factory(engine)() as db:
        # The bare demo: the suite's tests name its people and count from it. The first day's
        # threads, plans and photos are seeded by tests/checks/test_demo_content.py itself.
        await seed_demo(db, settings, first_day=False)
    await engine.dispose()


@pytest.fixture(scope="session")
async def engine(migrated: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
def settings(migrated: Settings) -> Settings:
    return migrated


@pytest.fixture
def runtime(settings: Settings, connection: AsyncConnection, tmp_path: Path) -> Runtime:
    return Runtime(
        settings=settings,
        engine=None,
        sessions=session_factory(connection, join_transaction_mode="create_savepoint"),
        storage=LocalStorage(tmp_path / "media", settings.secret_key, settings.public_url),
        broker=InProcessBroker(),
    )


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[GraphQLClient]:
    async with GraphQLClient.open(runtime) as graphql_client:
        yield graphql_client


@pytest.fixture
def db(runtime: Runtime) -> Any:
    return runtime.sessions()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []
        # The access log's one INSERT per request (app.privacy.accesslog) is counted apart: the
        # bounds here are about what a read costs, and the log is tested in tests/privacy.
        self.access_log_writes: list[str] = []
        # The audit trail's one INSERT per mutation (app.privacy.audit) likewise: its budget is
        # held by tests/privacy/test_audit_trail_reads.py.
        self.audit_writes: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


SAVEPOINT_NOISE = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
ACCESS_LOG_WRITE = "INSERT INTO child_access_log"
AUDIT_WRITE = "INSERT INTO audit_trail"


@pytest.fixture
def assert_max_queries(connection: AsyncConnection) -> Any:
    """`with assert_max_queries(n): ...` fails if more than n SQL statements ran."""

    @contextmanager
    def counting(limit: int) -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            head = statement.lstrip()
            if head.startswith(ACCESS_LOG_WRITE):
                counter.access_log_writes.append(statement)
            elif head.startswith(AUDIT_WRITE):
                counter.audit_writes.append(statement)
            elif not head.upper().startswith(SAVEPOINT_NOISE):
                counter.statements.append(statement)

        sync_engine = connection.sync_engine
        event.listen(sync_engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(sync_engine, "before_cursor_execute", record)
        assert counter.count <= limit, f"{counter.count} statements (limit {limit}):\n" + "\n".join(
            counter.statements
        )

    return counting


@pytest.fixture
def plan_clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The attendance clock (app.attendance.service.clock) fixed at Monday 7 January 2030, 09:00 in
    Copenhagen; `.at_local(hour, minute, offset_days)` moves it."""
    from tests.attendance.plan_helpers import freeze

    return freeze(monkeypatch)
