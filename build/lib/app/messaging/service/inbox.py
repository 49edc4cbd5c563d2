"""Reading: the inbox (threads by last activity), a thread's messages, search, unread totals."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.core.pagination import Page, paginate
from app.messaging.models import Message, Thread, ThreadChild, ThreadState
from app.messaging.policies import unread_condition, visible_messages, visible_threads

# A literal, so the planner matches the GIN index on to_tsvector('danish', body).
DANISH: Any = literal_column("'danish'::regconfig")


def _own_state(actor: Actor) -> Any:
    return and_(ThreadState.thread_id == Thread.id, ThreadState.user_id == actor.user_id)


async def inbox(
    *,
    db: AsyncSession,
    actor: Actor,
    first: int | None,
    after: str | None,
    institution_id: uuid.UUID | None = None,
    child_id: uuid.UUID | None = None,
    unread: bool | None = None,
    archived: bool = False,
) -> Page[Thread]:
    """Threads by last activity, newest first: one statement whatever the page size."""
    statement: Select[Any] = (
        select(Thread).outerjoin(ThreadState, _own_state(actor)).where(visible_threads(actor))
    )
    if archived:
        statement = statement.where(ThreadState.archived.is_(True))
    else:
        statement = statement.where(
            or_(ThreadState.archived.is_(None), ThreadState.archived.is_(False))
        )
    if institution_id is not None:
        statement = statement.where(Thread.institution_id == institution_id)
    if child_id is not None:
        statement = statement.where(
            Thread.id.in_(select(ThreadChild.thread_id).where(ThreadChild.child_id == child_id))
        )
    if unread is not None:
        pending = (
            select(Message.id)
            .where(Message.thread_id == Thread.id, unread_condition(actor))
            .exists()
        )
        statement = statement.where(pending if unread else ~pending)
    return await paginate(
        db,
        statement,
        order_by=[Thread.last_message_at, Thread.id],
        first=first,
        after=after,
        descending=True,
    )


async def messages_page(
    *, db: AsyncSession, actor: Actor, thread: Thread, first: int | None, after: str | None
) -> Page[Message]:
    """A thread's messages, newest first; `after` pages back in time."""
    statement = select(Message).where(Message.thread_id == thread.id, visible_messages(actor))
    return await paginate(
        db, statement, order_by=[Message.id], first=first, after=after, descending=True
    )


async def total_unread(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID | None = None
) -> int:
    """Unread messages in all of one's threads (archived ones included)."""
    statement = (
        select(func.count(Message.id))
        .select_from(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .outerjoin(ThreadState, _own_state(actor))
        .where(visible_threads(actor), unread_condition(actor))
    )
    if institution_id is not None:
        statement = statement.where(Thread.institution_id == institution_id)
    # execute, not scalar: AsyncSession.scalar bypasses RequestSession's lock, and sibling
    # fields run at the same time.
    return int((await db.execute(statement)).scalar() or 0)


async def search_messages(
    *, db: AsyncSession, actor: Actor, text: str, first: int | None, after: str | None
) -> Page[Message]:
    """Search the messages one may read: PostgreSQL full-text search with Danish stemming,
    a plain case-insensitive match on SQLite. Newest first."""
    words = " ".join(text.split())
    if not words:
        raise ValidationFailed("required", field="text")
    if len(words) > 200:
        raise ValidationFailed("too_long", field="text", max=200)
    statement = select(Message).where(Message.deleted_at.is_(None), visible_messages(actor))
    if db.get_bind().dialect.name == "postgresql":
        statement = statement.where(
            func.to_tsvector(DANISH, Message.body).op("@@")(
                func.websearch_to_tsquery(DANISH, words)
            )
        )
    else:
        escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Message.body.ilike(f"%{escaped}%", escape="\\"))
    return await paginate(
        db, statement, order_by=[Message.id], first=first, after=after, descending=True
    )
