"""Keeping the access log exactly as long as allowed: the setting, never below the floor.

PostgreSQL: whole monthly partitions are dropped once every row in them is past the retention
(a month may be kept up to one month longer, never shorter), and the coming months'
partitions are made ahead, by one SECURITY DEFINER function of migration 0086 (the
application role has no DDL rights). SQLite: the rows past the retention are deleted."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import ACCESS_LOG_MIN_RETENTION_MONTHS
from app.core.system_scope import institution_ids, institution_session
from app.db import write_transaction
from app.institutions.service.settings import months_before
from app.privacy.accesslog.models import AccessLogEntry

MONTHS_AHEAD = 3


def retention_months(configured: int) -> int:
    return max(configured, ACCESS_LOG_MIN_RETENTION_MONTHS)


async def maintain_partitions(*, db: AsyncSession, keep_months: int) -> int:
    """PostgreSQL: make the coming months' partitions, drop the expired ones (returns how
    many were dropped). SQLite: nothing to do."""
    if db.get_bind().dialect.name != "postgresql":
        return 0
    async with write_transaction(db):
        dropped = await db.scalar(
            text("SELECT seddel_access_log_partitions(:ahead, :keep)"),
            {"ahead": MONTHS_AHEAD, "keep": retention_months(keep_months)},
        )
    return int(dropped or 0)


async def purge_expired_rows(
    *, db: AsyncSession, institution_id: uuid.UUID, now: datetime, keep_months: int
) -> int:
    """SQLite: delete the institution's rows older than the retention. PostgreSQL drops
    whole partitions instead (`maintain_partitions`)."""
    if db.get_bind().dialect.name == "postgresql":
        return 0
    cutoff = months_before(now, retention_months(keep_months))
    async with write_transaction(db):
        result = await db.execute(
            delete(AccessLogEntry).where(
                AccessLogEntry.institution_id == institution_id,
                AccessLogEntry.accessed_at < cutoff,
            )
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def access_log_retention(context: Any) -> int:
    """The retention run of the access log (daily, and `seddel retention`): partitions made
    ahead and whole expired ones dropped (PostgreSQL), expired rows deleted per institution
    in its own scope (SQLite). `context` is app.ops.jobs.JobContext. Returns what went
    (partitions on PostgreSQL, rows on SQLite)."""
    keep = context.settings.access_log_retention_months
    async with context.sessions() as db:
        if db.get_bind().dialect.name == "postgresql":
            return await maintain_partitions(db=db, keep_months=keep)
        ids = await institution_ids(db)
    removed = 0
    for institution_id in ids:
        async with institution_session(context.sessions, institution_id) as db:
            removed += await purge_expired_rows(
                db=db, institution_id=institution_id, now=context.now, keep_months=keep
            )
    return removed
