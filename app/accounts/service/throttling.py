"""Throttling of failed credentials (passwords, tokens, codes) per key: an account, a client
address, a device. One leaky bucket per key in `login_throttles`; every credential check of
the accounts slice and its sub-slices counts its failures here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import LoginThrottle
from app.config import Settings
from app.core.errors import TooManyAttempts
from app.db import utcnow, write_transaction

# A throttle key's doubled locks are forgotten after this long without a failure; so is its row.
LOCKOUT_MEMORY = timedelta(days=1)


def lockout_for(settings: Settings, lockouts: int) -> timedelta:
    """15 minutes, doubling each time the same key is locked again, at most
    SEDDEL_LOGIN_LOCKOUT_MAX (an attacker who knows an e-mail address cannot lock its owner
    out for days)."""
    doubled = settings.login_lockout_seconds * 2 ** min(max(0, lockouts - 1), 32)
    return timedelta(seconds=min(doubled, settings.login_lockout_max_seconds))


def _decayed(settings: Settings, row: LoginThrottle, limit: int, now: datetime) -> None:
    """Failures decay: a sliding window of SEDDEL_LOGIN_FAILURE_WINDOW in which `limit`
    failures lock, each failure forgotten window/limit after the last one (a leaky bucket;
    partial intervals are not credited, so a steady rate above the limit still locks).
    The doubling of locks is forgotten after a quiet day."""
    if row.last_failure_at is None:
        return
    quiet = (now - row.last_failure_at).total_seconds()
    per_failure = settings.login_failure_window_seconds / max(limit, 1)
    row.failures = max(0, row.failures - int(quiet // per_failure))
    if quiet >= LOCKOUT_MEMORY.total_seconds():
        row.lockouts = 0


async def load_throttles(db: AsyncSession, keys: list[str]) -> dict[str, LoginThrottle]:
    """The throttle rows of these keys (those that have failed lately), by key."""
    rows = (await db.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))).all()
    return {row.key: row for row in rows}


def retry_after(rows: dict[str, LoginThrottle], now: datetime) -> int | None:
    """Seconds until the last lock among these rows ends; None when none is locked."""
    locked = [r.locked_until for r in rows.values() if r.locked_until and r.locked_until > now]
    if not locked:
        return None
    return int((max(locked) - now).total_seconds()) + 1


async def check_not_locked(db: AsyncSession, keys: list[str]) -> dict[str, LoginThrottle]:
    """Raise TooManyAttempts while any of the keys is locked; else their rows, for
    `record_failure`."""
    rows = await load_throttles(db, keys)
    wait = retry_after(rows, utcnow())
    if wait is not None:
        raise TooManyAttempts(wait)
    return rows


def record_failure(
    db: AsyncSession, rows: dict[str, LoginThrottle], key: str, limit: int, settings: Settings
) -> None:
    """Count one failure against `key` (in the caller's transaction); the `limit`-th within
    the window locks it, each lock of the same key twice as long as the last."""
    now = utcnow()
    row = rows.get(key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, lockouts=0)
        db.add(row)
        rows[key] = row
    _decayed(settings, row, limit, now)
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= limit:
        row.lockouts += 1
        row.failures = 0
        row.locked_until = now + lockout_for(settings, row.lockouts)


async def sweep_login_throttles(db: AsyncSession, *, now: datetime) -> int:
    """Forget keys (made-up e-mail addresses and client addresses are anyone's to invent)
    whose lock is over and whose last failure is older than LOCKOUT_MEMORY: what decay
    would have brought to nothing anyway. Keeps the table as small as the last day's
    failures."""
    async with write_transaction(db):
        result = await db.execute(
            delete(LoginThrottle).where(
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
                or_(
                    LoginThrottle.last_failure_at.is_(None),
                    LoginThrottle.last_failure_at < now - LOCKOUT_MEMORY,
                ),
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def sweep_login_throttles_job(context: Any) -> int:
    """For `seddel worker`, hourly. `context` is app.ops.jobs.JobContext."""
    async with context.sessions() as db:
        return await sweep_login_throttles(db, now=context.now)
