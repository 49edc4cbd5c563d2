"""Keeping the access log exactly as long as allowed: each institution's setting
(`access_log_retention_months`), never below the server's SEDDEL_ACCESS_LOG_RETENTION_MONTHS
nor the legal floor.

PostgreSQL: whole monthly partitions are dropped once every row in them is past the longest
retention of any institution (a month may be kept up to one month longer, never shorter), and
the coming months' partitions are made ahead, by one SECURITY DEFINER function of migration
0086 (the application role has no DDL rights). On both backends each institution's rows past
its own retention are then deleted, in its own tenant scope."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import ACCESS_LOG_MIN_RETENTION_MONTHS
from app.core.system_scope import institution_ids, institution_session
from app.db import write_transaction
from app.institutions.service.settings import institution_settings, months_before
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


async def institution_keep_months(
    db: AsyncSession, institution_id: uuid.UUID, server_months: int
) -> int:
    """How long this institution's log is kept: its setting, never below the server's."""
    own = (await institution_settings(db, institution_id)).access_log_retention_months
    return retention_months(max(own, server_months))


async def purge_expired_rows(
    *, db: AsyncSession, institution_id: uuid.UUID, now: datetime, keep_months: int
) -> int:
    """Delete the institution's rows older than its retention (on PostgreSQL the partitions
    already dropped took the oldest ones whole)."""
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
    in its own scope by its own months. `context` is app.ops.jobs.JobContext. Returns what
    went (partitions dropped and rows deleted)."""
    server = context.settings.access_log_retention_months
    async with context.sessions() as db:
        postgres = db.get_bind().dialect.name == "postgresql"
        ids = await institution_ids(db)
    keep: dict[uuid.UUID, int] = {}
    for institution_id in ids:
        async with institution_session(context.sessions, institution_id) as db:
            keep[institution_id] = await institution_keep_months(db, institution_id, server)
    removed = 0
    if postgres:
        async with context.sessions() as db:
            removed += await maintain_partitions(
                db=db, keep_months=max(keep.values(), default=server)
            )
    for institution_id in ids:
        async with institution_session(context.sessions, institution_id) as db:
            removed += await purge_expired_rows(
                db=db,
                institution_id=institution_id,
                now=context.now,
                keep_months=keep[institution_id],
            )
    return removed
