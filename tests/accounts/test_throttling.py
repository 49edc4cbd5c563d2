"""Login throttling: failures decay in a sliding window, the lock doubles up to a cap, keys
anyone can invent are swept, and only trusted proxies may name the client's address."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from app.accounts.models import AuthSession, LoginThrottle
from app.db import utcnow
from app.ops.jobs import JobContext
from app.root.jobs import PERIODIC_JOBS
from app.server import create_app
from tests.client import GraphQLClient

METTE = "mette@example.com"


async def login(client: GraphQLClient, email: str = METTE, password: str = "wrong-password"):
    return (await client.gql("Login", {"email": email, "password": password}))["login"]


async def age_failures(db, key: str, by: timedelta) -> None:
    async with db as session:
        row = await session.get(LoginThrottle, key)
        row.last_failure_at -= by
        await session.commit()


async def test_failures_decay_in_a_sliding_window(client, db, settings):
    for _ in range(4):  # one short of the lock (5)
        assert (await login(client))["__typename"] == "InvalidCredentialsError"
    # A window later all four are forgotten: four more do not lock.
    await age_failures(
        db, f"email:{METTE}", timedelta(seconds=settings.login_failure_window_seconds)
    )
    for _ in range(4):
        assert (await login(client))["__typename"] == "InvalidCredentialsError"
    # Two failures' worth of time forgets two: two more are fine, the third locks.
    per_failure = settings.login_failure_window_seconds / settings.login_max_failures
    await age_failures(db, f"email:{METTE}", timedelta(seconds=2 * per_failure))
    for _ in range(2):
        assert (await login(client))["__typename"] == "InvalidCredentialsError"
    assert (await login(client))["__typename"] == "InvalidCredentialsError"  # the 5th: locks
    assert (await login(client, password="seddel-demo"))["__typename"] == "TooManyAttemptsError"


async def test_the_doubling_lock_is_capped(client, db, settings):
    for _ in range(5):
        await login(client)
    async with db as session:  # a key locked many times before, the last lock just over
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == f"email:{METTE}")
            .values(lockouts=60, locked_until=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    for _ in range(5):
        await login(client)
    locked = await login(client, password="seddel-demo")
    assert locked["__typename"] == "TooManyAttemptsError"
    assert locked["retryAfterSeconds"] <= settings.login_lockout_max_seconds + 1


async def test_the_doubling_is_forgotten_after_a_quiet_day(client, db, settings):
    for _ in range(5):
        await login(client)
    async with db as session:
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == f"email:{METTE}")
            .values(
                lockouts=3,
                locked_until=utcnow() - timedelta(days=2),
                last_failure_at=utcnow() - timedelta(days=2),
            )
        )
        await session.commit()
    for _ in range(5):
        await login(client)
    locked = await login(client, password="seddel-demo")
    assert 0 < locked["retryAfterSeconds"] <= settings.login_lockout_seconds + 1


async def test_invented_keys_are_swept_so_the_table_stays_bounded(client, runtime, db, settings):
    """Anyone can invent e-mail addresses: each failure makes a row, and the hourly sweep
    forgets those nothing would remember any more."""
    for i in range(40):
        await login(client, email=f"nobody{i}@example.com")
    async with db as session:
        count = await session.scalar(select(func.count()).select_from(LoginThrottle))
        assert count >= 40
        await session.execute(
            update(LoginThrottle).values(last_failure_at=utcnow() - timedelta(days=1, minutes=1))
        )
        await session.commit()
    job = next(j for j in PERIODIC_JOBS if j.name == "login-throttles")
    context = JobContext(
        sessions=runtime.sessions, storage=runtime.storage, settings=settings, now=utcnow()
    )
    assert await job.run(context) >= 40
    async with db as session:
        assert await session.scalar(select(func.count()).select_from(LoginThrottle)) == 0


@asynccontextmanager
async def client_from(
    runtime, peer: str, forwarded_for: str | None = None, **changes
) -> AsyncIterator[GraphQLClient]:
    live = dataclasses.replace(runtime, settings=dataclasses.replace(runtime.settings, **changes))
    transport = httpx.ASGITransport(app=create_app(runtime=live), client=(peer, 40000))
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as http:
        yield GraphQLClient(http)


async def _keys(db) -> set[str]:
    async with db as session:
        return set((await session.scalars(select(LoginThrottle.key))).all())


@pytest.mark.parametrize(
    ("peer", "trusted", "seen_as"),
    [
        ("10.1.2.3", ("10.0.0.0/8",), "203.0.113.7"),  # the load balancer: its header counts
        ("198.51.100.9", ("10.0.0.0/8",), "198.51.100.9"),  # anyone else: the socket counts
        ("10.1.2.3", (), "10.1.2.3"),  # no proxy configured: nobody sets the address
    ],
)
async def test_only_trusted_proxies_may_name_the_client(runtime, db, peer, trusted, seen_as):
    async with client_from(runtime, peer, "203.0.113.7", trusted_proxies=trusted) as client:
        await login(client, email="guess@example.com")
        ok = await login(client, password="seddel-demo")
    assert ok["__typename"] == "LoginSuccess"
    assert f"ip:{seen_as}" in await _keys(db)
    async with db as session:
        addresses = set((await session.scalars(select(AuthSession.client_address))).all())
    assert seen_as in addresses


async def test_behind_a_load_balancer_each_client_is_throttled_on_its_own(runtime):
    """Without SEDDEL_TRUSTED_PROXIES every client would share the balancer's address: one
    guesser would lock out the whole institution."""
    limits = {"trusted_proxies": ("10.0.0.1",), "login_max_failures_per_address": 3}
    async with client_from(runtime, "10.0.0.1", "203.0.113.7", **limits) as guesser:
        for i in range(3):
            await login(guesser, email=f"guess{i}@example.com")
        assert (await login(guesser, email="x@example.com"))["__typename"] == (
            "TooManyAttemptsError"
        )
    async with client_from(runtime, "10.0.0.1", "192.0.2.44", **limits) as parent:
        assert (await login(parent, password="seddel-demo"))["__typename"] == "LoginSuccess"


def test_a_malformed_trusted_proxy_is_refused_at_start(monkeypatch):
    from app.config import load_settings

    monkeypatch.setenv("SEDDEL_TRUSTED_PROXIES", "10.0.0.0/8, not-an-address")
    with pytest.raises(RuntimeError, match="not-an-address"):
        load_settings()
