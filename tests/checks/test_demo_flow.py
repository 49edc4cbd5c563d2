"""A newcomer's first run on the embedded default: empty SQLite, migrate, seed, log in, me."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.config import Settings
from app.core.runtime import Runtime
from app.db import create_engine, session_factory
from app.realtime import InProcessBroker
from app.storage import LocalStorage
from tests.client import GraphQLClient

ROOT = Path(__file__).resolve().parents[2]


async def test_demo_flow_on_sqlite(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'seddel.sqlite3'}"
    env = {
        **os.environ,
        "SEDDEL_DATABASE_URL": url,
        "SEDDEL_MEDIA_ROOT": str(tmp_path / "media"),
        "SEDDEL_ARGON2_TIME_COST": "1",
        "SEDDEL_ARGON2_MEMORY_KIB": "1024",
        "SEDDEL_ARGON2_PARALLELISM": "1",
    }
    env.pop("SEDDEL_MIGRATION_DATABASE_URL", None)
    for command in ("migrate", "demo"):
        done = subprocess.run(
            [sys.executable, "-m", "app", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert "mette@example.com" in done.stdout and "seddel-demo" in done.stdout
    again = subprocess.run(
        [sys.executable, "-m", "app", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "left as it is" in again.stdout

    settings = Settings(
        database_url=url,
        argon2_time_cost=1,
        argon2_memory_cost_kib=1024,
        argon2_parallelism=1,
        log_json=False,
    )
    engine = create_engine(url)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        storage=LocalStorage(tmp_path / "media", settings.secret_key, settings.public_url),
        broker=InProcessBroker(),
    )
    try:
        async with GraphQLClient.open(runtime) as client:
            me = (await client.gql("Me", as_="mette@example.com"))["me"]
            assert len(me["children"]) == 2
            graphiql = await client.http.get("/graphql", headers={"Accept": "text/html"})
            assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
    finally:
        await engine.dispose()


def _psql_admin(owner_url: str, statement: str) -> None:
    """As the test database's owner (a superuser here), outside any transaction."""
    import asyncio

    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(owner_url)

    async def run() -> None:
        connection = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username, database=url.database
        )
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def test_demo_on_postgres_with_an_owner_that_is_not_a_superuser(tmp_path):
    """Production's shape: the tables' owner has no superuser and no BYPASSRLS, so row-level
    security holds for the migration and the demo as well (the demo once read a child
    before scoping itself and stopped)."""
    import pytest

    from tests.conftest import OWNER_URL, WORKER

    if not OWNER_URL:
        pytest.skip("PostgreSQL's row-level security")
    from sqlalchemy.engine import make_url

    owner = make_url(OWNER_URL)
    # A database per test process: xdist workers and other checkouts share the cluster.
    database, role = f"seddel_demo_check_{WORKER or os.getpid()}", "seddel_demo_owner"
    _psql_admin(OWNER_URL, f"DROP DATABASE IF EXISTS {database}")
    _psql_admin(
        OWNER_URL,
        f"DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') "
        f"THEN CREATE ROLE {role} LOGIN CREATEROLE; END IF; END$$",
    )
    _psql_admin(OWNER_URL, f"CREATE DATABASE {database} OWNER {role}")
    check_url = owner.set(database=database)
    _psql_admin(
        check_url.render_as_string(hide_password=False), "CREATE EXTENSION IF NOT EXISTS btree_gist"
    )
    env = {
        **os.environ,
        "SEDDEL_DATABASE_URL": check_url.set(username="seddel_app").render_as_string(False),
        "SEDDEL_MIGRATION_DATABASE_URL": check_url.set(username=role).render_as_string(False),
        "SEDDEL_MEDIA_ROOT": str(tmp_path / "media"),
        "SEDDEL_ARGON2_TIME_COST": "1",
        "SEDDEL_ARGON2_MEMORY_KIB": "1024",
        "SEDDEL_ARGON2_PARALLELISM": "1",
    }
    try:
        for command in ("migrate", "demo"):
            done = subprocess.run(
                [sys.executable, "-m", "app", command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            assert done.returncode == 0, done.stderr
        assert "demo data created" in done.stdout
    finally:
        _psql_admin(OWNER_URL, f"DROP DATABASE IF EXISTS {database}")
