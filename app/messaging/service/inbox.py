"""Reading: search and unread totals (the inbox and a thread's messages are read models in
app.messaging.reads)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.core.pagination import Page, paginate
from app.messaging.models import Message, Thread, ThreadState
from app.messaging.policies import unread_condition, visible_messages, visible_threads

# A literal, so the planner matches the GIN index on to_tsvector('danish', body).
DANISH: Any = literal_column("'danish'::regconfig")


def _own_state(actor: Actor) -> Any:
    return and_(ThreadState.thread_id == Thread.id, ThreadState.user_id == actor.user_id)


def unread_total(actor: Actor, institution_id: uuid.UUID | None = None) -> Select[Any]:
    """The count of unread messages in all of one's threads (archived ones included)."""
    statement = (
        select(func.count(Message.id))
        .select_from(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .outerjoin(ThreadState, _own_state(actor))
        .where(visible_threads(actor), unread_condition(actor))
    )
    if institution_id is not None:
        statement = statement.where(Thread.institution_id == institution_id)
    return statement


async def total_unread(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID | None = None
) -> int:
    """Unread messages in all of one's threads (archived ones included)."""
    # execute, not scalar: AsyncSession.scalar bypasses RequestSession's lock, and sibling
    # fields run at the same time.
    return int((await db.execute(unread_total(actor, institution_id))).scalar() or 0)


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
