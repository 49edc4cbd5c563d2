"""Batch loads of messaging, each through the visibility rules: (db, actor, keys) -> aligned."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.loading import aligned, grouped
from app.files.models import StoredFile
from app.messaging.models import (
    Message,
    MessageAttachment,
    Participant,
    Thread,
    ThreadChild,
    ThreadState,
)
from app.messaging.policies import unread_condition, visible_messages, visible_threads


async def thread_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[Thread | None]:
    rows = await db.scalars(select(Thread).where(Thread.id.in_(keys), visible_threads(actor)))
    return aligned(rows.all(), keys)


async def message_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[Message | None]:
    rows = await db.scalars(select(Message).where(Message.id.in_(keys), visible_messages(actor)))
    return aligned(rows.all(), keys)


async def unread_by_thread(db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]) -> list[int]:
    rows = await db.execute(
        select(Message.thread_id, func.count(Message.id))
        .outerjoin(
            ThreadState,
            (ThreadState.thread_id == Message.thread_id) & (ThreadState.user_id == actor.user_id),
        )
        .where(Message.thread_id.in_(keys), unread_condition(actor))
        .group_by(Message.thread_id)
    )
    counts = {thread_id: int(count) for thread_id, count in rows.all()}
    return [counts.get(key, 0) for key in keys]


async def own_state_by_thread(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[ThreadState | None]:
    rows = await db.scalars(
        select(ThreadState).where(
            ThreadState.thread_id.in_(keys), ThreadState.user_id == actor.user_id
        )
    )
    return aligned(rows.all(), keys, "thread_id")


async def states_by_thread(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[ThreadState]]:
    """Everyone's read state: for the thread's staff only (guardians never see others')."""
    staff_threads = select(Thread.id).where(
        Thread.id.in_(keys), Thread.institution_id.in_(actor.employed_in), visible_threads(actor)
    )
    rows = await db.scalars(
        select(ThreadState)
        .where(ThreadState.thread_id.in_(staff_threads))
        .order_by(ThreadState.last_read_at, ThreadState.id)
    )
    return grouped(rows.all(), keys, "thread_id")


async def participants_by_thread(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[Participant]]:
    rows = await db.scalars(
        select(Participant)
        .where(
            Participant.thread_id.in_(
                select(Thread.id).where(Thread.id.in_(keys), visible_threads(actor))
            ),
            Participant.removed_at.is_(None),
        )
        .order_by(Participant.added_at, Participant.id)
    )
    return grouped(rows.all(), keys, "thread_id")


async def child_ids_by_thread(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[uuid.UUID]]:
    rows = await db.execute(
        select(ThreadChild.thread_id, ThreadChild.child_id).where(
            ThreadChild.thread_id.in_(
                select(Thread.id).where(Thread.id.in_(keys), visible_threads(actor))
            )
        )
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for thread_id, child_id in rows.all():
        found.setdefault(thread_id, []).append(child_id)
    return [found.get(key, []) for key in keys]


async def files_by_message(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[StoredFile]]:
    """Loader: the files of messages the actor may read, in their order."""
    rows = (
        await db.execute(
            select(MessageAttachment.message_id, StoredFile)
            .join(StoredFile, StoredFile.id == MessageAttachment.file_id)
            .join(Message, Message.id == MessageAttachment.message_id)
            .where(
                MessageAttachment.message_id.in_(keys),
                Message.deleted_at.is_(None),
                visible_messages(actor),
            )
            .order_by(MessageAttachment.position)
        )
    ).all()
    found: dict[uuid.UUID, list[StoredFile]] = defaultdict(list)
    for message_id, stored in rows:
        found[message_id].append(stored)
    return [found.get(key, []) for key in keys]
