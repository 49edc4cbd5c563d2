"""Keeping the access log exactly as long as allowed: each institution's setting
(`access_log_retention_months`), never below the server's SEDDEL_ACCESS_LOG_RETENTION_MONTHS
nor the legal floor.

PostgreSQL: whole monthly partitions are dropped once every row in them is past the longest
retention of any institution (a month may be kept up to one month longer, never shorter), and
the coming months' partitions are made ahead, by one SECURITY DEFINER function of migration
0086 (the application role has no DDL rights). On both backends each institution's rows past
its own retention are then deleted, in its own tenant scope. A child under a legal hold keeps
its rows, and the partitions holding them stay."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import ACCESS_LOG_MIN_RETENTION_MONTHS
from app.core.system_scope import institution_ids, institution_session
from app.db import write_transaction
from app.institutions.service.settings import institution_settings, months_before
from app.privacy.accesslog.models import AccessLogEntry
from app.privacy.retention.service.rules import Holds, Kept, KindReport

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
    *,
    db: AsyncSession,
    institution_id: uuid.UUID,
    now: datetime,
    keep_months: int,
    held: Collection[uuid.UUID] = (),
) -> int:
    """Delete the institution's rows older than its retention, but those of children under
    a legal hold (on PostgreSQL the partitions already dropped took the oldest ones whole)."""
    cutoff = months_before(now, retention_months(keep_months))
    query = delete(AccessLogEntry).where(
        AccessLogEntry.institution_id == institution_id, AccessLogEntry.accessed_at < cutoff
    )
    if held:
        query = query.where(AccessLogEntry.child_id.not_in(sorted(held)))
    async with write_transaction(db):
        result = await db.execute(query)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _held_since(
    db: AsyncSession, institution_id: uuid.UUID, holds: Holds, cutoff: datetime
) -> tuple[datetime | None, list[Kept]]:
    """The oldest expired row of a held child (a partition holding it must stay), and the
    holds that keep expired rows."""
    if not holds.children:
        return None, []
    rows = (
        await db.execute(
            select(AccessLogEntry.child_id, func.min(AccessLogEntry.accessed_at))
            .where(
                AccessLogEntry.institution_id == institution_id,
                AccessLogEntry.child_id.in_(sorted(holds.children)),
                AccessLogEntry.accessed_at < cutoff,
            )
            .group_by(AccessLogEntry.child_id)
        )
    ).all()
    oldest = min((at for _, at in rows), default=None)
    return oldest, holds.kept_children([child for child, _ in rows])


def months_back(now: datetime, then: datetime) -> int:
    """Whole calendar months from `then`'s month to `now`'s, plus one: a partition that holds
    `then` survives a keep of this many months."""
    return (now.year - then.year) * 12 + now.month - then.month + 1


async def access_log_retention(context: Any) -> int:
    """`access_log_retention_report`'s count of what went."""
    return (await access_log_retention_report(context)).deleted


async def access_log_retention_report(context: Any) -> KindReport:
    """The retention run of the access log (daily, and `seddel retention`): partitions made
    ahead and whole expired ones dropped (PostgreSQL), expired rows deleted per institution
    in its own scope by its own months; a held child's rows stay (and the partitions that
    hold them). `context` is app.ops.jobs.JobContext. Counts partitions dropped and rows
    deleted."""
    server = context.settings.access_log_retention_months
    async with context.sessions() as db:
        postgres = db.get_bind().dialect.name == "postgresql"
        ids = await institution_ids(db)
    report = KindReport()
    keep: dict[uuid.UUID, int] = {}
    held: dict[uuid.UUID, frozenset[uuid.UUID]] = {}
    partitions_keep = server
    for institution_id in ids:
        async with (
            institution_session(context.sessions, institution_id) as db,
            write_transaction(db),
        ):
            keep[institution_id] = await institution_keep_months(db, institution_id, server)
            holds = await Holds.in_force(db, institution_id)
            cutoff = months_before(context.now, keep[institution_id])
            oldest, kept = await _held_since(db, institution_id, holds, cutoff)
        held[institution_id] = frozenset(holds.children)
        report.kept.extend(kept)
        partitions_keep = max(partitions_keep, keep[institution_id])
        if oldest is not None:
            partitions_keep = max(partitions_keep, months_back(context.now, oldest))
    if postgres:
        async with context.sessions() as db:
            report.deleted += await maintain_partitions(db=db, keep_months=partitions_keep)
    for institution_id in ids:
        async with institution_session(context.sessions, institution_id) as db:
            report.deleted += await purge_expired_rows(
                db=db,
                institution_id=institution_id,
                now=context.now,
                keep_months=keep[institution_id],
                held=held[institution_id],
            )
    return report
