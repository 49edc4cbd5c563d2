"""Use cases of threads and messages: start, send, reply, edit, delete, forward.

Every mutation here owns one transaction; what it returns carries the live events to publish
after commit (and, later, the storage keys to delete after commit).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.actor import Actor
from app.db import new_id, utcnow, write_transaction
from app.errors import NotFound, ValidationFailed
from app.institutions.models import Group
from app.messaging import attachments, live, membership
from app.messaging.audience import recipients_to_notify
from app.messaging.models import (
    MAX_BODY,
    AutoReply,
    Message,
    Participant,
    Thread,
    ThreadChild,
    ThreadState,
)
from app.messaging.policies import _reach, visible_messages, visible_threads
from app.messaging.recipients import Recipients, Resolved, resolve
from app.notifications import service as notifications

EDIT_WINDOW = timedelta(minutes=15)
MAX_SUBJECT = 200


@dataclass
class Outcome:
    threads: list[Thread] = field(default_factory=list)
    message: Message | None = None
    events: list[live.Event] = field(default_factory=list)
    storage_keys: list[str] = field(default_factory=list)


def clean_body(body: str, *, allow_empty: bool = False) -> str:
    text = body.strip()
    if not text and not allow_empty:
        raise ValidationFailed("message_empty", field="body")
    if len(text) > MAX_BODY:
        raise ValidationFailed("message_too_long", field="body", max=MAX_BODY, length=len(text))
    return text


def _clean_subject(subject: str) -> str:
    text = " ".join(subject.split())
    if not text:
        raise ValidationFailed("required", field="subject")
    if len(text) > MAX_SUBJECT:
        raise ValidationFailed("too_long", field="subject", max=MAX_SUBJECT)
    return text


def sender_role(actor: Actor, institution_id: uuid.UUID) -> str:
    if institution_id in actor.staff_of:
        return "staff"
    if institution_id in actor.admin_of:
        return "admin"
    return "guardian"


async def visible_thread(db: AsyncSession, actor: Actor, thread_id: uuid.UUID) -> Thread:
    """The thread if the actor reaches it; otherwise (also: deleted) not found."""
    thread = await db.scalar(select(Thread).where(Thread.id == thread_id, visible_threads(actor)))
    if thread is None:
        raise NotFound(field="threadId")
    return thread


@dataclass(frozen=True)
class Reach:
    personal: Participant | None
    group_id: uuid.UUID | None
    institution_inbox: bool


async def reach_of(db: AsyncSession, actor: Actor, thread: Thread) -> Reach:
    rows = (
        await db.scalars(
            select(Participant).where(Participant.thread_id == thread.id, _reach(actor))
        )
    ).all()
    personal = next((p for p in rows if p.kind == "user"), None)
    group = next((p.group_id for p in rows if p.kind == "group_inbox"), None)
    return Reach(personal, group, any(p.kind == "institution_inbox" for p in rows))


def _participant(thread: Thread, **values: object) -> Participant:
    return Participant(
        id=new_id(), institution_id=thread.institution_id, thread_id=thread.id, **values
    )


async def _post(
    db: AsyncSession,
    thread: Thread,
    *,
    sender_id: uuid.UUID,
    role: str,
    body: str,
    quoted_id: uuid.UUID | None = None,
    as_group: uuid.UUID | None = None,
    as_institution: bool = False,
    auto: bool = False,
) -> Message:
    now = utcnow()
    message = Message(
        id=new_id(),
        institution_id=thread.institution_id,
        thread_id=thread.id,
        sender_id=sender_id,
        sender_role=role,
        sent_as_group_id=as_group,
        sent_as_institution=as_institution,
        body=body,
        quoted_message_id=quoted_id,
        is_auto_reply=auto,
        created_at=now,
    )
    db.add(message)
    thread.last_message_at, thread.last_message_id = now, message.id
    await db.flush()
    # A new message brings an archived thread back to everyone's inbox.
    await db.execute(
        update(ThreadState)
        .where(ThreadState.thread_id == thread.id, ThreadState.archived.is_(True))
        .values(archived=False)
    )
    await mark_read_in(db, thread, user_id=sender_id, message=message)
    return message


async def mark_read_in(
    db: AsyncSession, thread: Thread, *, user_id: uuid.UUID, message: Message
) -> ThreadState:
    """Move a person's read pointer forward to `message` (never backwards)."""
    state = await db.scalar(
        select(ThreadState).where(
            ThreadState.thread_id == thread.id, ThreadState.user_id == user_id
        )
    )
    if state is None:
        state = ThreadState(
            id=new_id(), institution_id=thread.institution_id, thread_id=thread.id, user_id=user_id
        )
        db.add(state)
    if state.last_read_message_id is None or message.id > state.last_read_message_id:
        state.last_read_message_id, state.last_read_at = message.id, utcnow()
    await db.flush()
    return state


def thread_link(thread_id: uuid.UUID) -> str:
    """Where the apps open a thread; e-mails put the public URL in front."""
    return f"/threads/{thread_id}"


async def _notify(db: AsyncSession, thread: Thread, message: Message, sender_name: str) -> None:
    """Outbox rows for a new message, in its transaction (h2-notify's worker delivers them):
    everyone it reaches except the sender, the muted and those who left; no text when the
    thread is sensitive."""
    target = await recipients_to_notify(db=db, message_id=message.id)
    if target is None or not target.user_ids:
        return
    if message.sent_as_group_id is not None:
        group = await db.get(Group, message.sent_as_group_id)
        sender_name = group.name if group else sender_name
    await notifications.enqueue(
        db=db,
        institution_id=thread.institution_id,
        recipients=target.user_ids,
        kind="message",
        subject_id=message.id,
        sender_name=sender_name,
        link=thread_link(thread.id),
        preview=target.preview,
        sensitive=target.sensitive,
    )


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


# --- starting threads ------------------------------------------------------------------------


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
            message = await _post(
                db,
                thread,
                sender_id=actor.user_id,
                role=role,
                body=text,
                as_group=as_group_id,
            )
            attachments.attach(db, message, stored)
            await _notify(db, thread, message, actor.name)
            await _auto_replies(db, thread, message)
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
        rows.append(_participant(thread, kind="group_inbox", group_id=as_group_id, role="staff"))
    else:
        rows.append(
            _participant(
                thread, kind="user", user_id=actor.user_id, role="staff" if staff else "guardian"
            )
        )
        seen.add(actor.user_id)
    for user_id in sorted(resolved.staff_users - seen):
        rows.append(_participant(thread, kind="user", user_id=user_id, role="staff"))
        seen.add(user_id)
    for user_id in sorted(guardians - seen):
        rows.append(_participant(thread, kind="user", user_id=user_id, role="guardian"))
        seen.add(user_id)
    for group_id in sorted(resolved.group_inboxes - ({as_group_id} if as_group_id else set())):
        rows.append(_participant(thread, kind="group_inbox", group_id=group_id, role="staff"))
    if resolved.institution_inbox:
        rows.append(_participant(thread, kind="institution_inbox", role="staff"))
    return rows


# --- sending -----------------------------------------------------------------------------


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
        message = await _post(
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
        await _notify(db, thread, message, actor.name)
        outcome.threads, outcome.message = [thread], message
        auto = await _auto_replies(db, thread, message)
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
    rows = [_participant(thread, kind="user", user_id=actor.user_id, role="guardian")]
    rows += [
        _participant(thread, kind=p.kind, user_id=p.user_id, group_id=p.group_id, role="staff")
        for p in staff_side
    ]
    db.add_all(rows)
    await db.flush()
    return thread, True


async def _auto_replies(db: AsyncSession, thread: Thread, message: Message) -> Message | None:
    """Away staff who take part personally answer once per thread and absence."""
    now = utcnow()
    away = (
        await db.scalars(
            select(AutoReply)
            .join(
                Participant,
                and_(
                    Participant.user_id == AutoReply.user_id,
                    Participant.thread_id == thread.id,
                    Participant.kind == "user",
                    Participant.removed_at.is_(None),
                    Participant.left_at.is_(None),
                ),
            )
            .where(
                AutoReply.institution_id == thread.institution_id,
                AutoReply.user_id != message.sender_id,
                AutoReply.starts_at <= now,
                AutoReply.ends_at > now,
            )
        )
    ).all()
    last: Message | None = None
    for reply in away:
        answered = await db.scalar(
            select(Message.id).where(
                Message.thread_id == thread.id,
                Message.sender_id == reply.user_id,
                Message.is_auto_reply.is_(True),
                Message.created_at >= reply.starts_at,
            )
        )
        if answered is None:
            last = await _post(
                db, thread, sender_id=reply.user_id, role="staff", body=reply.body, auto=True
            )
            away_user = await db.get(User, reply.user_id)
            await _notify(db, thread, last, away_user.name if away_user else "")
    return last


# --- editing and deleting -----------------------------------------------------------------


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
        events = await live.thread_events(
            db, live.MESSAGE_CHANGED, [message.thread_id], {message.thread_id: message.id}
        )
    return Outcome(message=message, events=events)


async def delete_message(*, db: AsyncSession, actor: Actor, message_id: uuid.UUID) -> Outcome:
    """The sender deletes within 15 minutes: the text is gone, "deleted" stays in its place."""
    async with write_transaction(db):
        message = await _own_recent_message(db, actor, message_id)
        message.body, message.deleted_at = "", utcnow()
        keys = await attachments.forget_message_files(db, message.id)
        await db.flush()
        events = await live.thread_events(
            db, live.MESSAGE_CHANGED, [message.thread_id], {message.thread_id: message.id}
        )
    return Outcome(message=message, events=events, storage_keys=keys)


async def forward_message(
    *, db: AsyncSession, actor: Actor, message_id: uuid.UUID, thread_id: uuid.UUID
) -> Outcome:
    """Post a copy of a message into another thread; never from a sensitive thread."""
    message = await db.scalar(
        select(Message).where(Message.id == message_id, visible_messages(actor))
    )
    if message is None or message.deleted_at is not None:
        raise NotFound(field="messageId")
    source = await db.get(Thread, message.thread_id)
    if source is None or source.sensitive:
        raise ValidationFailed("sensitive_not_forwarded", field="messageId")
    return await send_message(db=db, actor=actor, thread_id=thread_id, body=message.body)


async def delete_thread(*, db: AsyncSession, actor: Actor, thread_id: uuid.UUID) -> Outcome:
    """The staff member who started it, or an admin, deletes a thread with all it holds."""
    async with write_transaction(db):
        thread = await visible_thread(db, actor, thread_id)
        if not (
            actor.is_admin(thread.institution_id)
            or (thread.created_by == actor.user_id and actor.works_in(thread.institution_id))
        ):
            raise NotFound(field="threadId")
        events = await live.thread_events(db, live.THREAD_CHANGED, [thread.id])
        replies = list(
            (await db.scalars(select(Thread.id).where(Thread.parent_thread_id == thread.id))).all()
        )
        keys = await attachments.forget_thread_files(db, [thread.id, *replies])
        await db.execute(delete(Thread).where(Thread.parent_thread_id == thread.id))
        await db.execute(delete(Thread).where(Thread.id == thread.id))
    return Outcome(events=events, storage_keys=keys)
