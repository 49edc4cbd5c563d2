"""Changing what was sent: the sender edits or deletes a message within the edit window,
anyone forwards a copy (never out of a sensitive thread), and the thread's starter or an
admin deletes a whole thread."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.db import utcnow, write_transaction
from app.files.service import uploads as files
from app.messaging.events import MESSAGE_CHANGED, THREAD_CHANGED
from app.messaging.models import Message, Thread
from app.messaging.policies import visible_messages
from app.messaging.service import attachments, live
from app.messaging.service.posting import Outcome, clean_body, visible_thread
from app.messaging.service.sending import send_message

EDIT_WINDOW = timedelta(minutes=15)


async def _own_recent_message(db: AsyncSession, actor: Actor, message_id: uuid.UUID) -> Message:
    message = await db.scalar(
        select(Message).where(Message.id == message_id, visible_messages(actor))
    )
    if message is None or message.sender_id != actor.user_id or message.deleted_at is not None:
        raise NotFound(field="messageId")
    if utcnow() - message.created_at > EDIT_WINDOW:
        raise ValidationFailed("edit_window_passed", field="messageId", minutes=15)
    return message


async def edit_message(
    *, db: AsyncSession, actor: Actor, message_id: uuid.UUID, body: str
) -> Outcome:
    """The sender changes the text within 15 minutes."""
    text = clean_body(body)
    async with write_transaction(db):
        message = await _own_recent_message(db, actor, message_id)
        message.body, message.edited_at = text, utcnow()
        await db.flush()
        await live.record_thread_activity(
            db, MESSAGE_CHANGED, [message.thread_id], {message.thread_id: message.id}
        )
    return Outcome(message=message)


async def delete_message(*, db: AsyncSession, actor: Actor, message_id: uuid.UUID) -> Outcome:
    """The sender deletes within 15 minutes: the text is gone, "deleted" stays in its place."""
    async with write_transaction(db):
        message = await _own_recent_message(db, actor, message_id)
        message.body, message.deleted_at = "", utcnow()
        keys = await attachments.forget_message_files(db, message.id)
        await files.release_after_commit(db, keys)
        await db.flush()
        await live.record_thread_activity(
            db, MESSAGE_CHANGED, [message.thread_id], {message.thread_id: message.id}
        )
    return Outcome(message=message)


async def forward_message(
    *, db: AsyncSession, actor: Actor, message_id: uuid.UUID, thread_id: uuid.UUID
) -> Outcome:
    """Post a copy of a message into another thread; never from a sensitive thread."""
    found = (
        await db.execute(
            select(Message, Thread.sensitive)
            .outerjoin(Thread, Thread.id == Message.thread_id)
            .where(Message.id == message_id, visible_messages(actor))
        )
    ).first()
    if found is None or found.Message.deleted_at is not None:
        raise NotFound(field="messageId")
    message = found.Message
    if found.sensitive is None or found.sensitive:
        raise ValidationFailed("sensitive_not_forwarded", field="messageId")
    return await send_message(db=db, actor=actor, thread_id=thread_id, body=message.body)


async def delete_thread(*, db: AsyncSession, actor: Actor, thread_id: uuid.UUID) -> None:
    """The staff member who started it, or an admin, deletes a thread with all it holds."""
    async with write_transaction(db):
        thread = await visible_thread(db, actor, thread_id)
        if not (
            actor.is_admin(thread.institution_id)
            or (thread.created_by == actor.user_id and actor.works_in(thread.institution_id))
        ):
            raise NotFound(field="threadId")
        replies = list(
            (await db.scalars(select(Thread.id).where(Thread.parent_thread_id == thread.id))).all()
        )
        keys = await attachments.forget_thread_files(db, [thread.id, *replies])
        await files.release_after_commit(db, keys)
        # Those it reached hear of it: resolved before the thread and its participants go.
        await live.record_thread_activity(db, THREAD_CHANGED, [thread.id])
        await db.execute(delete(Thread).where(Thread.parent_thread_id == thread.id))
        await db.execute(delete(Thread).where(Thread.id == thread.id))
