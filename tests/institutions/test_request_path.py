"""The request path on the real database, without the tests' outer transaction: one
connection, one transaction and no COMMIT per authenticated read; the sign-in in one
statement on PostgreSQL; a connection the server dropped costs a retry, not an error."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.accounts.models import AuthSession, User
from app.config import Settings
from app.core.runtime import Runtime
from app.db import create_engine, session_factory, utcnow
from app.institutions.service import actor as institutions
from app.ops.demo import DEMO_PASSWORD
from app.realtime import InProcessBroker
from app.storage import LocalStorage
from tests.client import GraphQLClient
from tests.conftest import is_postgres

GUARDIAN = "mette@example.com"


@dataclass
class Traffic:
    """What one engine sent: transactions begun, committed, rolled back, and statements."""

    begins: int = 0
    commits: int = 0
    rollbacks: int = 0
    statements: list[str] = field(default_factory=list)


@contextmanager
def traffic_of(engine: AsyncEngine) -> Iterator[Traffic]:
    seen = Traffic()
    sync = engine.sync_engine

    def began(_conn: Any) -> None:
        seen.begins += 1

    def committed(_conn: Any) -> None:
        seen.commits += 1

    def rolled_back(_conn: Any) -> None:
        seen.rollbacks += 1

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.strip().upper() != "BEGIN":  # SQLite's explicit BEGIN (app.db)
            seen.statements.append(sql)

    listeners = [
        ("begin", began),
        ("commit", committed),
        ("rollback", rolled_back),
        ("before_cursor_execute", statement),
    ]
    for name, listener in listeners:
        event.listen(sync, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners:
            event.remove(sync, name, listener)


@asynccontextmanager
async def real_client(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[GraphQLClient, AsyncEngine]]:
    """A client of the real app over its own engine: every transaction really ends."""
    engine = create_engine(settings.database_url, pool_size=1)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        storage=LocalStorage(tmp_path / "media", settings.secret_key, settings.public_url),
        broker=InProcessBroker(),
    )
    try:
        async with GraphQLClient.open(runtime) as client:
            yield client, engine
            # The sessions this test's logins made are not left behind for other tests.
            async with engine.begin() as connection:
                ids = select(User.id).where(User.email_key.in_(list(client.tokens)))
                await connection.execute(
                    delete(AuthSession).where(
                        AuthSession.user_id.in_(ids), AuthSession.kind == "user"
                    )
                )
    finally:
        await engine.dispose()


async def test_an_authenticated_read_is_one_transaction_that_never_commits(migrated, tmp_path):
    async with real_client(migrated, tmp_path) as (client, engine):
        await client.token_for(GUARDIAN)
        for operation in ("Me", "Inbox"):
            await client.gql(operation, {} if operation == "Me" else {"first": 20}, as_=GUARDIAN)
            with traffic_of(engine) as seen:
                await client.gql(
                    operation, {} if operation == "Me" else {"first": 20}, as_=GUARDIAN
                )
            assert (seen.begins, seen.commits, seen.rollbacks) == (1, 0, 1), operation
            if is_postgres():
                # The session, the actor and the tenant scope: one statement, the first.
                assert "seddel_sign_in" in seen.statements[0]
                # No statement sets the tenant scope again (a compiled answer's own set_config
                # is its access log's commit mode, app.privacy.accesslog).
                assert not any("seddel.institution_ids" in s for s in seen.statements)
                if operation == "Me":
                    assert len(seen.statements) <= 3, "\n".join(seen.statements)


async def test_the_last_use_is_noted_by_a_read_that_commits_only_then(migrated, tmp_path):
    async with real_client(migrated, tmp_path) as (client, engine):
        token = await client.token_for(GUARDIAN)
        async with engine.begin() as connection:
            await connection.execute(
                update(AuthSession)
                .where(AuthSession.token_hash == _hash(token))
                .values(last_used_at=utcnow().replace(microsecond=0) - _minutes(5))
            )
        with traffic_of(engine) as first:
            await client.gql("Me", as_=GUARDIAN)
        with traffic_of(engine) as second:
            await client.gql("Me", as_=GUARDIAN)
        assert (first.begins, first.commits, first.rollbacks) == (1, 1, 0)
        assert (second.begins, second.commits, second.rollbacks) == (1, 0, 1)
        async with engine.connect() as connection:
            last_used = await connection.scalar(
                select(AuthSession.last_used_at).where(AuthSession.token_hash == _hash(token))
            )
        assert utcnow() - last_used < _minutes(1)


async def test_a_mutation_runs_in_the_requests_transaction(migrated, tmp_path):
    async with real_client(migrated, tmp_path) as (client, engine):
        await client.token_for(GUARDIAN)
        other = await client.gql("Login", {"email": GUARDIAN, "password": DEMO_PASSWORD})
        lost_phone = other["login"]["session"]["id"]
        with traffic_of(engine) as failed:
            refused = await client.gql(
                "RevokeSession", {"sessionId": str(uuid.uuid4())}, as_=GUARDIAN
            )
        with traffic_of(engine) as done:
            revoked = await client.gql("RevokeSession", {"sessionId": lost_phone}, as_=GUARDIAN)
        assert refused["revokeSession"]["__typename"] != "SessionRevoked"
        assert revoked["revokeSession"]["__typename"] == "SessionRevoked"
        if is_postgres():
            # The sign-in and the mutation in one transaction: BEGIN ... COMMIT, or ROLLBACK.
            assert (failed.begins, failed.commits, failed.rollbacks) == (1, 0, 1)
            assert (done.begins, done.commits, done.rollbacks) == (1, 1, 0)
        else:
            # SQLite ends the read first: its snapshot could not become a write.
            assert (failed.commits, done.commits) == (1, 2)
        # The revoked session stops working at once; the current one goes on.
        gone = await client.execute("Me", token=other["login"]["token"])
        assert gone["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await client.gql("Me", as_=GUARDIAN))["me"]["email"] == GUARDIAN


@pytest.mark.skipif(not is_postgres(), reason="a server that drops connections: PostgreSQL")
async def test_a_connection_the_server_dropped_costs_a_retry_not_an_error(migrated, tmp_path):
    owner = create_engine(migrated.owner_database_url)
    try:
        async with real_client(migrated, tmp_path) as (client, engine):
            await client.gql("Me", as_=GUARDIAN)
            async with engine.connect() as connection:  # the pooled connection
                pid = await connection.scalar(text("SELECT pg_backend_pid()"))
            async with owner.connect() as admin:
                await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                for _ in range(50):
                    gone = not await admin.scalar(
                        text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                        {"pid": pid},
                    )
                    if gone:
                        break
                    await asyncio.sleep(0.05)
            me = await client.gql("Me", as_=GUARDIAN)
            assert me["me"]["email"] == GUARDIAN
            async with engine.connect() as connection:
                assert await connection.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        await owner.dispose()


@pytest.mark.skipif(not is_postgres(), reason="the one-statement sign-in is PostgreSQL's")
@pytest.mark.parametrize(
    "email",
    [
        "mette@example.com",
        "admin@solsikken.example",
        "pernille@solsikken.example",
        "jonas@example.com",
        "lars@regnbuen.example",
    ],
)
async def test_both_sign_in_paths_build_the_same_actor(migrated, tmp_path, email):
    async with real_client(migrated, tmp_path) as (client, engine):
        token = await client.token_for(email)
        sessions = session_factory(engine)
        async with sessions() as db:
            in_one = await institutions.sign_in(db=db, token=token)
            scoped = await db.scalar(text("SELECT current_setting('seddel.institution_ids')"))
            await db.rollback()
        async with sessions() as db:
            by_statements = institutions.actor_of(
                await institutions._facts_by_statements(db, token)
            )
            await db.rollback()
        assert in_one is not None and in_one == by_statements
        assert set(filter(None, scoped.split(","))) == {str(i) for i in in_one.tenant_ids}


def _hash(token: str) -> str:
    from app.accounts.service.auth import hash_token

    return hash_token(token)


def _minutes(n: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=n)
