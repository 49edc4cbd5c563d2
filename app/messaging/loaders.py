"""Batch loads of messaging, each through the visibility rules: (db, actor, keys) -> aligned."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.loading import aligned, grouped
from app.files.models import StoredFile
from app.institutions.models import Child
from app.institutions.policies import visible_children
from app.messaging import reads
from app.messaging.models import (
    Message,
    MessageAttachment,
    Thread,
    ThreadChild,
    ThreadState,
)
from app.messaging.policies import visible_messages, visible_threads
from app.messaging.reads import MessageRow, ParticipantRow, ThreadRow


async def thread_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[ThreadRow | None]:
    """Visible threads, each with the reader's view (unread, flags, latest message, summary)."""
    return aligned(await reads.thread_rows(db, actor, keys), keys)


async def thread_view_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[ThreadRow | None]:
    """`thread_by_id` for the reader's view of a thread whose row a write primed without it
    (a loader of its own: `thread_by_id` answers from what the write primed)."""
    return aligned(await reads.thread_rows(db, actor, keys), keys)


async def message_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[MessageRow | None]:
    return aligned(await reads.message_rows(db, actor, keys), keys)


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
) -> list[list[ParticipantRow]]:
    return grouped(await reads.participant_rows(db, actor, keys), keys, "thread_id")


async def children_by_thread(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[list[Child]]:
    """The children threads are about, as the reader may see them: one statement for a page."""
    rows = await db.execute(
        select(ThreadChild.thread_id, Child)
        .join(Child, Child.id == ThreadChild.child_id)
        .where(
            ThreadChild.thread_id.in_(
                select(Thread.id).where(Thread.id.in_(keys), visible_threads(actor))
            ),
            visible_children(actor),
        )
        .order_by(ThreadChild.thread_id, ThreadChild.child_id)
    )
    found: dict[uuid.UUID, list[Child]] = defaultdict(list)
    for thread_id, child in rows.all():
        found[thread_id].append(child)
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
