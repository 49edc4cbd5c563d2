"""A newcomer's first run on the embedded default: empty SQLite, migrate, seed, log in, me."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.config import Settings
from app.db import create_engine, session_factory
from app.realtime import InProcessBroker
from app.runtime import Runtime
from app.storage import LocalStorage
from tests.client import GraphQLClient

ROOT = Path(__file__).resolve().parents[2]


async def test_demo_flow_on_sqlite(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'seddel.sqlite3'}"
    env = {
        **os.environ,
        "SEDDEL_DATABASE_URL": url,
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
