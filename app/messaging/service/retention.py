"""Retention: threads whose last activity is older than the institution keeps messages, except
what a legal hold keeps (a held thread with its parent and replies; every thread about a held
child). Contributed to the retention run as the rule of kind "messages"."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import write_transaction
from app.files.service import uploads as files
from app.institutions.service.settings import message_retention_cutoff
from app.messaging.models import Thread, ThreadChild
from app.messaging.service import attachments
from app.privacy.retention.service.holds import register_thread_institution
from app.privacy.retention.service.rules import (
    Holds,
    KindReport,
    RuleRun,
    chunks,
    register_retention_rule,
)
from app.storage import ObjectStorage


@register_thread_institution
async def thread_institution(db: AsyncSession, thread_id: uuid.UUID) -> uuid.UUID | None:
    """The institution of a thread in the caller's tenant scope (a legal hold's subject)."""
    return await db.scalar(select(Thread.institution_id).where(Thread.id == thread_id))


async def _ids(db: AsyncSession, query: object) -> set[uuid.UUID]:
    return set((await db.scalars(query)).all())  # type: ignore[call-overload]


async def _held_threads(
    db: AsyncSession, institution_id: uuid.UUID, holds: Holds, candidates: set[uuid.UUID]
) -> tuple[set[uuid.UUID], KindReport]:
    """Of the candidates, those a hold keeps, and the report of the holds that kept them."""
    report = KindReport()
    if not candidates or not (holds.threads or holds.children):
        return set(), report
    kept: set[uuid.UUID] = set()
    held_children = sorted(holds.children)
    by_child: dict[uuid.UUID, set[uuid.UUID]] = {}
    for batch in chunks(held_children):
        rows = await db.execute(
            select(ThreadChild.child_id, ThreadChild.thread_id).where(
                ThreadChild.institution_id == institution_id, ThreadChild.child_id.in_(batch)
            )
        )
        for child_id, thread_id in rows:
            by_child.setdefault(child_id, set()).add(thread_id)
    # A thread and its replies stand or fall together (a reply cascades with its parent).
    roots = set(holds.threads) | {t for ts in by_child.values() for t in ts}
    families: dict[uuid.UUID, set[uuid.UUID]] = {r: {r} for r in roots}
    for batch in chunks(sorted(roots)):
        rows = await db.execute(
            select(Thread.id, Thread.parent_thread_id).where(
                Thread.institution_id == institution_id,
                or_(Thread.id.in_(batch), Thread.parent_thread_id.in_(batch)),
            )
        )
        for thread_id, parent_id in rows:
            if thread_id in families and parent_id is not None:
                families[thread_id].add(parent_id)
            if parent_id in families:
                families[parent_id].add(thread_id)
    for thread_id in holds.threads:
        family = families.get(thread_id, set()) & candidates
        if family:
            kept |= family
            report.kept.extend(holds.kept_threads([thread_id]))
    for child_id, threads in by_child.items():
        family = set().union(*(families[t] for t in threads)) & candidates
        if family:
            kept |= family
            report.kept.extend(holds.kept_children([child_id]))
    return kept, report


async def purge_threads(
    *,
    db: AsyncSession,
    storage: ObjectStorage,
    institution_id: uuid.UUID,
    now: datetime,
    holds: Holds,
) -> KindReport:
    """Delete the institution's threads with no activity for `message_retention_months`
    (with their replies, messages and attachments) that no hold keeps; objects go after
    commit."""
    async with write_transaction(db):
        cutoff = await message_retention_cutoff(db, institution_id, now)
        expired = await _ids(
            db,
            select(Thread.id).where(
                Thread.institution_id == institution_id,
                Thread.last_message_at < cutoff,
                Thread.parent_thread_id.is_(None),
            ),
        )
        replies = await _ids(
            db,
            select(Thread.id).where(
                Thread.institution_id == institution_id,
                Thread.parent_thread_id.is_not(None),
                or_(
                    Thread.last_message_at < cutoff,
                    Thread.parent_thread_id.in_(sorted(expired)),
                ),
            ),
        )
        kept, report = await _held_threads(db, institution_id, holds, expired | replies)
        expired -= kept
        replies -= kept
        ids = sorted(expired | replies)
        keys = await attachments.forget_thread_files(db, ids) if ids else []
        for batch in chunks(sorted(replies)):
            await db.execute(delete(Thread).where(Thread.id.in_(batch)))
        for batch in chunks(sorted(expired)):
            await db.execute(delete(Thread).where(Thread.id.in_(batch)))
    await files.delete_objects(storage, keys)
    report.deleted = len(ids)
    return report


async def purge_expired_threads(
    *, db: AsyncSession, storage: ObjectStorage, institution_id: uuid.UUID, now: datetime
) -> int:
    """`purge_threads` with the institution's holds in force; returns how many threads went."""
    async with write_transaction(db):
        holds = await Holds.in_force(db, institution_id)
    done = await purge_threads(
        db=db, storage=storage, institution_id=institution_id, now=now, holds=holds
    )
    return done.deleted


@register_retention_rule("messages")
async def messages_rule(run: RuleRun) -> KindReport:
    return await purge_threads(
        db=run.db,
        storage=run.storage,
        institution_id=run.institution_id,
        now=run.now,
        holds=run.holds,
    )
