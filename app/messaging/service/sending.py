"""Sending into a thread: replies (a guardian's reply to a broadcast goes to its staff in a
reply thread of their own), quotes, posting as a shared inbox one reaches through."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.db import new_id, utcnow, write_transaction
from app.files.models import StoredFile
from app.messaging.events import NEW_MESSAGE, NEW_THREAD
from app.messaging.models import Message, Participant, Thread
from app.messaging.policies import visible_messages
from app.messaging.service import attachments, bulk, live
from app.messaging.service.audience import audience_and_muted
from app.messaging.service.posting import (
    Outcome,
    clean_body,
    enqueue_notifications,
    new_message,
    new_participant,
    post_message,
    read_pointer,
    send_auto_replies,
    sender_role,
    shown_institution,
    thread_for_sending,
)


async def send_message(
    *,
    db: AsyncSession,
    actor: Actor,
    thread_id: uuid.UUID,
    body: str,
    quoted_message_id: uuid.UUID | None = None,
    file_ids: Sequence[uuid.UUID] = (),
) -> Outcome:
    """Reply in a thread. A guardian's reply to a broadcast goes to its staff only (a reply
    thread of their own) unless the sender chose "reply to all"."""
    text = clean_body(body, allow_empty=bool(file_ids))
    async with write_transaction(db):
        sending = await thread_for_sending(db, actor, thread_id)
        thread = sending.thread
        if sending.has_left and sending.group_id is None and not sending.institution_inbox:
            raise ValidationFailed("thread_left", field="threadId")
        quoted = await _quoted(db, actor, thread, quoted_message_id)
        stored = await attachments.claim(db, actor, thread.institution_id, file_ids)
        role = sender_role(actor, thread.institution_id)
        outcome = Outcome()
        personal = sending.personal and not sending.has_left
        as_institution = not personal and sending.group_id is None and sending.institution_inbox
        quoted_id = quoted.id if quoted is not None else None
        new_thread = (
            thread.is_broadcast
            and not thread.reply_to_all
            and role == "guardian"
            and sending.reply_thread is None
        )
        if new_thread:
            thread, message = await _start_reply_thread(
                db,
                actor,
                thread,
                body=text,
                quoted_id=quoted_id,
                as_institution=as_institution,
                stored=stored,
            )
        else:
            if thread.is_broadcast and not thread.reply_to_all and role == "guardian":
                assert sending.reply_thread is not None
                thread = sending.reply_thread
            message = await post_message(
                db,
                thread,
                sender_id=actor.user_id,
                role=role,
                body=text,
                quoted_id=quoted_id,
                as_group=None if personal else sending.group_id,
                as_institution=as_institution,
            )
            attachments.attach(db, message, stored)
        as_group = message.sent_as_group_id
        reached = await audience_and_muted(
            db, [thread.id], sender_id=actor.user_id, to_inboxes=role == "guardian"
        )
        await enqueue_notifications(
            db,
            thread,
            message,
            actor.name,
            audience=reached,
            group_name=sending.group_name,
            timezone=sending.timezone,
        )
        outcome.threads, outcome.message = [thread], message
        outcome.institution = shown_institution(actor, sending.institution)
        outcome.files = list(stored)
        outcome.group = sending.group if as_group is not None else None
        outcome.quoted = quoted
        auto = await send_auto_replies(db, thread, message, reached, timezone=sending.timezone)
        kind = NEW_THREAD if new_thread else NEW_MESSAGE
        await live.record_thread_activity(
            db,
            kind,
            [thread.id],
            {thread.id: (auto or message).id},
            reached=reached.reached,
        )
    return outcome


async def _start_reply_thread(
    db: AsyncSession,
    actor: Actor,
    broadcast: Thread,
    *,
    body: str,
    quoted_id: uuid.UUID | None,
    as_institution: bool,
    stored: Sequence[StoredFile],
) -> tuple[Thread, Message]:
    """A guardian's first reply to a broadcast: their own thread with the broadcast's staff
    side, written with the message at once (app.messaging.service.bulk)."""
    staff_side = (
        await db.execute(
            select(Participant.kind, Participant.user_id, Participant.group_id)
            .where(
                Participant.thread_id == broadcast.id,
                Participant.role == "staff",
                Participant.removed_at.is_(None),
            )
            .order_by(Participant.added_at, Participant.id)
        )
    ).all()
    message_id, now = new_id(), utcnow()
    thread = Thread(
        id=new_id(),
        institution_id=broadcast.institution_id,
        subject=broadcast.subject,
        created_by=actor.user_id,
        created_at=now,
        parent_thread_id=broadcast.id,
        sensitive=broadcast.sensitive,
        last_message_at=now,
        last_message_id=message_id,
    )
    people = [new_participant(thread, kind="user", user_id=actor.user_id, role="guardian")]
    people += [
        new_participant(thread, kind=p.kind, user_id=p.user_id, group_id=p.group_id, role="staff")
        for p in staff_side
    ]
    for n, participant in enumerate(people):  # listed (by when added) in this order
        participant.added_at = now + timedelta(microseconds=n)
    message = new_message(
        thread,
        message_id=message_id,
        now=now,
        sender_id=actor.user_id,
        role="guardian",
        body=body,
        quoted_id=quoted_id,
        as_institution=as_institution,
    )
    await bulk.insert_all(
        db,
        [
            [thread],
            [message],
            people,
            [read_pointer(thread, actor.user_id, message_id)],
            attachments.attachment_rows(message, stored),
        ],
        attach=[[thread], [message]],
        reported=[[thread], [message]],
    )
    return thread, message


async def _quoted(
    db: AsyncSession, actor: Actor, thread: Thread, quoted_id: uuid.UUID | None
) -> Message | None:
    if quoted_id is None:
        return None
    found: Message | None = await db.scalar(
        select(Message).where(
            Message.id == quoted_id,
            Message.thread_id.in_([thread.id, thread.parent_thread_id or thread.id]),
            visible_messages(actor),
        )
    )
    if found is None:
        raise NotFound(field="quotedMessageId")
    return found
