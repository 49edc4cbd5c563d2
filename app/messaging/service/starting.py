"""The use cases of writing: starting a thread (whom it reaches, resolved once and kept as
its participants; its shape: one broadcast, one thread per family when it is about several
families' children, or one thread among the people named) and sending into one (replies: a
guardian's reply to a broadcast goes to its staff in a reply thread of their own; quotes;
posting as a shared inbox one reaches through). The shared steps of posting live in
posting.py; editing, deleting and forwarding in editing.py."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.db import new_id, write_transaction
from app.messaging.models import Message, Participant, Thread, ThreadChild
from app.messaging.policies import visible_messages
from app.messaging.service import attachments, live, membership
from app.messaging.service.posting import (
    Outcome,
    clean_body,
    enqueue_notifications,
    new_participant,
    post_message,
    reach_of,
    send_auto_replies,
    sender_role,
    visible_thread,
)
from app.messaging.service.recipients import Recipients, Resolved, resolve

MAX_SUBJECT = 200


def _clean_subject(subject: str) -> str:
    text = " ".join(subject.split())
    if not text:
        raise ValidationFailed("required", field="subject")
    if len(text) > MAX_SUBJECT:
        raise ValidationFailed("too_long", field="subject", max=MAX_SUBJECT)
    return text


async def start_thread(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    subject: str,
    body: str,
    recipients: Recipients,
    sensitive: bool = False,
    reply_to_all: bool = False,
    as_group_id: uuid.UUID | None = None,
    file_ids: Sequence[uuid.UUID] = (),
) -> Outcome:
    """Start one thread, or one per family when the message is about several families'
    children; recipients are resolved now and kept as the participants."""
    subject_text = _clean_subject(subject)
    text = clean_body(body, allow_empty=bool(file_ids))
    staff = actor.works_in(institution_id)
    if (sensitive or as_group_id) and not staff:
        raise NotFound(field="institutionId")
    if as_group_id is not None and as_group_id not in actor.groups_staffed:
        raise NotFound(field="asGroupId")
    async with write_transaction(db):
        resolved = await resolve(
            db=db,
            actor=actor,
            institution_id=institution_id,
            recipients=recipients,
            sensitive=sensitive,
        )
        stored = await attachments.claim(db, actor, institution_id, file_ids)
        outcome = Outcome()
        role = sender_role(actor, institution_id)
        for guardians, children, broadcast in _thread_shapes(resolved):
            thread = Thread(
                id=new_id(),
                institution_id=institution_id,
                subject=subject_text,
                created_by=actor.user_id,
                is_broadcast=broadcast,
                reply_to_all=reply_to_all or not broadcast,
                audience=resolved.audience if broadcast else "",
                sensitive=sensitive,
            )
            db.add(thread)
            await db.flush()
            participants = _participants(thread, actor, staff, as_group_id, resolved, guardians)
            db.add_all(
                participants
                + [
                    ThreadChild(thread_id=thread.id, child_id=c, institution_id=institution_id)
                    for c in children
                ]
            )
            await db.flush()
            # Why each guardian takes part (written with the first message's flush).
            db.add_all(membership.basis_rows(participants, resolved.bases, children or None))
            message = await post_message(
                db,
                thread,
                sender_id=actor.user_id,
                role=role,
                body=text,
                as_group=as_group_id,
            )
            attachments.attach(db, message, stored)
            await enqueue_notifications(db, thread, message, actor.name)
            await send_auto_replies(db, thread, message)
            outcome.threads.append(thread)
            outcome.message = message
        messages = {t.id: t.last_message_id for t in outcome.threads if t.last_message_id}
        outcome.events = await live.thread_events(
            db,
            live.NEW_THREAD,
            [t.id for t in outcome.threads],
            messages,  # type: ignore[arg-type]
        )
    return outcome


def _thread_shapes(
    resolved: Resolved,
) -> list[tuple[set[uuid.UUID], list[uuid.UUID], bool]]:
    """(guardians, children, is broadcast) per thread to create."""
    if resolved.is_broadcast:
        return [(resolved.broadcast_guardians, [], True)]
    if resolved.families:
        return [(set(f.guardians), f.children, False) for f in resolved.families]
    return [(resolved.peer_guardians, [], False)]


def _participants(
    thread: Thread,
    actor: Actor,
    staff: bool,
    as_group_id: uuid.UUID | None,
    resolved: Resolved,
    guardians: set[uuid.UUID],
) -> list[Participant]:
    rows: list[Participant] = []
    seen: set[uuid.UUID] = set()
    if as_group_id is not None:
        rows.append(new_participant(thread, kind="group_inbox", group_id=as_group_id, role="staff"))
    else:
        rows.append(
            new_participant(
                thread, kind="user", user_id=actor.user_id, role="staff" if staff else "guardian"
            )
        )
        seen.add(actor.user_id)
    for user_id in sorted(resolved.staff_users - seen):
        rows.append(new_participant(thread, kind="user", user_id=user_id, role="staff"))
        seen.add(user_id)
    for user_id in sorted(guardians - seen):
        rows.append(new_participant(thread, kind="user", user_id=user_id, role="guardian"))
        seen.add(user_id)
    for group_id in sorted(resolved.group_inboxes - ({as_group_id} if as_group_id else set())):
        rows.append(new_participant(thread, kind="group_inbox", group_id=group_id, role="staff"))
    if resolved.institution_inbox:
        rows.append(new_participant(thread, kind="institution_inbox", role="staff"))
    return rows


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
        thread = await visible_thread(db, actor, thread_id)
        reach = await reach_of(db, actor, thread)
        left = reach.personal is not None and reach.personal.left_at is not None
        if left and reach.group_id is None and not reach.institution_inbox:
            raise ValidationFailed("thread_left", field="threadId")
        quoted = await _quoted(db, actor, thread, quoted_message_id)
        stored = await attachments.claim(db, actor, thread.institution_id, file_ids)
        role = sender_role(actor, thread.institution_id)
        outcome = Outcome()
        new_thread = False
        if thread.is_broadcast and not thread.reply_to_all and role == "guardian":
            thread, new_thread = await _reply_thread(db, actor, thread)
        personal = reach.personal is not None and reach.personal.left_at is None
        message = await post_message(
            db,
            thread,
            sender_id=actor.user_id,
            role=role,
            body=text,
            quoted_id=quoted,
            as_group=None if personal or new_thread else reach.group_id,
            as_institution=not personal and reach.group_id is None and reach.institution_inbox,
        )
        attachments.attach(db, message, stored)
        await enqueue_notifications(db, thread, message, actor.name)
        outcome.threads, outcome.message = [thread], message
        auto = await send_auto_replies(db, thread, message)
        kind = live.NEW_THREAD if new_thread else live.NEW_MESSAGE
        outcome.events = await live.thread_events(
            db, kind, [thread.id], {thread.id: (auto or message).id}
        )
    return outcome


async def _reply_thread(db: AsyncSession, actor: Actor, broadcast: Thread) -> tuple[Thread, bool]:
    """The guardian's own thread with the broadcast's staff side (made on first reply)."""
    existing = await db.scalar(
        select(Thread).where(
            Thread.parent_thread_id == broadcast.id, Thread.created_by == actor.user_id
        )
    )
    if existing is not None:
        return existing, False
    thread = Thread(
        id=new_id(),
        institution_id=broadcast.institution_id,
        subject=broadcast.subject,
        created_by=actor.user_id,
        parent_thread_id=broadcast.id,
        sensitive=broadcast.sensitive,
    )
    db.add(thread)
    await db.flush()
    staff_side = (
        await db.scalars(
            select(Participant).where(
                Participant.thread_id == broadcast.id,
                Participant.role == "staff",
                Participant.removed_at.is_(None),
            )
        )
    ).all()
    rows = [new_participant(thread, kind="user", user_id=actor.user_id, role="guardian")]
    rows += [
        new_participant(thread, kind=p.kind, user_id=p.user_id, group_id=p.group_id, role="staff")
        for p in staff_side
    ]
    db.add_all(rows)
    await db.flush()
    return thread, True


async def _quoted(
    db: AsyncSession, actor: Actor, thread: Thread, quoted_id: uuid.UUID | None
) -> uuid.UUID | None:
    if quoted_id is None:
        return None
    found = await db.scalar(
        select(Message.id).where(
            Message.id == quoted_id,
            Message.thread_id.in_([thread.id, thread.parent_thread_id or thread.id]),
            visible_messages(actor),
        )
    )
    if found is None:
        raise NotFound(field="quotedMessageId")
    return found
