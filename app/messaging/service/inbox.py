"""Reading: the inbox (threads by last activity), a thread's messages, search, unread totals."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.core.pagination import Page, check_page_size
from app.messaging.models import Message, Thread, ThreadChild, ThreadState
from app.messaging.policies import visible_messages, visible_threads

# A literal, so the planner matches the GIN index on to_tsvector('danish', body).
DANISH: Any = literal_column("'danish'::regconfig")


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list[str]:
    try:
        raw = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        if not isinstance(raw, list) or len(raw) != size:
            raise ValueError(cursor)
        return [str(v) for v in raw]
    except (ValueError, TypeError) as exc:
        raise ValidationFailed("invalid_cursor", field="after") from exc


def unread_condition(actor: Actor) -> Any:
    """Messages of the thread (Message joined to the actor's ThreadState) not yet read."""
    return and_(
        Message.deleted_at.is_(None),
        Message.sender_id != actor.user_id,
        or_(
            ThreadState.last_read_message_id.is_(None),
            Message.id > ThreadState.last_read_message_id,
        ),
        visible_messages(actor),
    )


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
    size = check_page_size(first)
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
    if after:
        at, id_ = _decode(after, 2)
        when, key = datetime.fromisoformat(at), uuid.UUID(id_)
        statement = statement.where(
            or_(
                Thread.last_message_at < when,
                and_(Thread.last_message_at == when, Thread.id < key),
            )
        )
    rows = list(
        (
            await db.scalars(
                statement.order_by(Thread.last_message_at.desc(), Thread.id.desc()).limit(size + 1)
            )
        ).all()
    )
    items = rows[:size]
    return Page(
        items=items,
        cursors=[_encode([t.last_message_at, t.id]) for t in items],
        has_next_page=len(rows) > size,
        has_previous_page=bool(after),
    )


async def messages_page(
    *, db: AsyncSession, actor: Actor, thread: Thread, first: int | None, after: str | None
) -> Page[Message]:
    """A thread's messages, newest first; `after` pages back in time."""
    size = check_page_size(first)
    statement = select(Message).where(Message.thread_id == thread.id, visible_messages(actor))
    if after:
        (id_,) = _decode(after, 1)
        try:
            statement = statement.where(Message.id < uuid.UUID(id_))
        except ValueError as exc:
            raise ValidationFailed("invalid_cursor", field="after") from exc
    rows = list((await db.scalars(statement.order_by(Message.id.desc()).limit(size + 1))).all())
    items = rows[:size]
    return Page(
        items=items,
        cursors=[_encode([m.id]) for m in items],
        has_next_page=len(rows) > size,
        has_previous_page=bool(after),
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
    size = check_page_size(first)
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
    if after:
        (id_,) = _decode(after, 1)
        try:
            statement = statement.where(Message.id < uuid.UUID(id_))
        except ValueError as exc:
            raise ValidationFailed("invalid_cursor", field="after") from exc
    rows = list((await db.scalars(statement.order_by(Message.id.desc()).limit(size + 1))).all())
    items = rows[:size]
    return Page(
        items=items,
        cursors=[_encode([m.id]) for m in items],
        has_next_page=len(rows) > size,
        has_previous_page=bool(after),
    )
