"""What every write to a thread shares: the thread as the actor reaches it, the outcome a
mutation returns, and posting a message with all it sets off (the sender's read pointer,
archived threads back in the inbox, outbox rows, away staff's automatic replies).

Every mutation owns one transaction; what it sets off outside the database (live events,
deleting stored objects) it records as domain events, run after commit (app.messaging.events).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, case, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.core.idempotency import INSERTED_ROWS
from app.db import new_id, utcnow
from app.files.models import StoredFile
from app.institutions.models import Child, Group, Institution
from app.messaging.models import MAX_BODY, Message, Participant, Thread, ThreadState
from app.messaging.policies import _reach, visible_threads
from app.messaging.reads import ParticipantRow, ThreadRow
from app.messaging.service import bulk
from app.messaging.service.audience import Audience, notify_target
from app.notifications.service import outbox as notifications


@dataclass
class Outcome:
    """What a write made, and what it read on the way that its answer shows (the api primes
    its loaders with these, so that answering reads nothing): the institution, the group a
    message was sent as, the message's files and the one it quotes; for a thread started,
    the threads as the starter sees them, their participants and children."""

    threads: list[Thread] = field(default_factory=list)
    message: Message | None = None
    institution: Institution | None = None
    group: Group | None = None
    files: list[StoredFile] = field(default_factory=list)  # of `message`
    # Of each other message the answer may show (a started thread's, an away reply: none).
    message_files: dict[uuid.UUID, list[StoredFile]] = field(default_factory=dict)
    quoted: Message | None = None
    thread_rows: list[ThreadRow] = field(default_factory=list)
    participants: list[ParticipantRow] = field(default_factory=list)
    children: dict[uuid.UUID, list[Child]] = field(default_factory=dict)


def shown_institution(actor: Actor, institution: Institution | None) -> Institution | None:
    """The institution a write's answer shows: as its loader would give it to the actor
    (app.institutions.policies.visible_institutions)."""
    if institution is None or institution.id not in actor.institution_ids:
        return None
    return institution


def clean_body(body: str, *, allow_empty: bool = False) -> str:
    text = body.strip()
    if not text and not allow_empty:
        raise ValidationFailed("message_empty", field="body")
    if len(text) > MAX_BODY:
        raise ValidationFailed("message_too_long", field="body", max=MAX_BODY, length=len(text))
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


@dataclass(frozen=True)
class Sending:
    """A thread as the actor writes into it, read in one statement: how they reach it (their own
    participation, a group's shared inbox, the institution's), that group (an answer from it is
    notified under the group's name) and the institution (its timezone; the answer shows it)."""

    thread: Thread
    personal: bool  # takes part personally (left or not)
    has_left: bool
    group_id: uuid.UUID | None
    group: Group | None
    institution_inbox: bool
    institution: Institution | None
    reply_thread: Thread | None  # a guardian's own reply thread below this broadcast, if any

    @property
    def group_name(self) -> str | None:
        return self.group.name if self.group is not None else None

    @property
    def timezone(self) -> str | None:
        return self.institution.timezone if self.institution is not None else None


async def thread_for_sending(db: AsyncSession, actor: Actor, thread_id: uuid.UUID) -> Sending:
    """The thread if the actor reaches it, with their reach; otherwise not found."""

    def reach(kind: str, *columns: Any) -> Any:
        return (
            select(*columns)
            .where(Participant.thread_id == Thread.id, Participant.kind == kind, _reach(actor))
            .order_by(Participant.added_at, Participant.id)
            .limit(1)
            .correlate(Thread)
            .scalar_subquery()
        )

    group_id = reach("group_inbox", Participant.group_id)
    reply = aliased(Thread, name="reply_thread")
    row = (
        await db.execute(
            select(
                Thread,
                Institution,
                Group,
                reply,
                reach("user", Participant.id).label("personal_id"),
                reach("user", Participant.left_at).label("left_at"),
                group_id.label("group_id"),
                reach("institution_inbox", Participant.id).label("institution_inbox"),
            )
            .outerjoin(Institution, Institution.id == Thread.institution_id)
            .outerjoin(Group, Group.id == group_id)
            .outerjoin(
                reply,
                and_(
                    Thread.is_broadcast,
                    reply.parent_thread_id == Thread.id,
                    reply.created_by == actor.user_id,
                ),
            )
            .where(Thread.id == thread_id, visible_threads(actor))
        )
    ).first()
    if row is None:
        raise NotFound(field="threadId")
    return Sending(
        thread=row.Thread,
        personal=row.personal_id is not None,
        has_left=row.left_at is not None,
        group_id=row.group_id,
        group=row.Group,
        institution_inbox=row.institution_inbox is not None,
        institution=row.Institution,
        reply_thread=row.reply_thread,
    )


def new_participant(thread: Thread, **values: object) -> Participant:
    return Participant(
        id=new_id(), institution_id=thread.institution_id, thread_id=thread.id, **values
    )


def new_message(
    thread: Thread,
    *,
    message_id: uuid.UUID,
    now: datetime,
    sender_id: uuid.UUID,
    role: str,
    body: str,
    quoted_id: uuid.UUID | None = None,
    as_group: uuid.UUID | None = None,
    as_institution: bool = False,
    auto: bool = False,
) -> Message:
    return Message(
        id=message_id,
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


def read_pointer(thread: Thread, user_id: uuid.UUID, message_id: uuid.UUID) -> ThreadState:
    """The state of someone who has read a new thread up to `message_id` (their own)."""
    return ThreadState(
        id=new_id(),
        institution_id=thread.institution_id,
        thread_id=thread.id,
        user_id=user_id,
        last_read_message_id=message_id,
        last_read_at=utcnow(),
        muted=False,
        archived=False,
    )


async def post_message(
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
    """Post into `thread`: the message, the thread's latest, the thread back in the inbox of
    everyone who archived it, the sender's read pointer moved to it (never backwards). On
    PostgreSQL that is one statement (the INSERT and the thread's UPDATE are data-modifying
    CTEs of the read pointers' UPDATE); an INSERT follows only for a sender without a state yet
    (staff answering from a shared inbox for the first time)."""
    now = utcnow()
    message = new_message(
        thread,
        message_id=new_id(),
        now=now,
        sender_id=sender_id,
        role=role,
        body=body,
        quoted_id=quoted_id,
        as_group=as_group,
        as_institution=as_institution,
        auto=auto,
    )
    if db.get_bind().dialect.name == "postgresql":
        threads = _table(Thread)
        written = insert(_table(Message)).values([bulk.values_of(message)]).cte("new_message")
        latest = (
            update(threads)
            .where(threads.c.id == thread.id)
            .values(last_message_at=now, last_message_id=message.id)
            .returning(threads.c.id)
            .cte("thread_latest")
        )
        # The read pointers' rows are locked only once the thread's row is (an InitPlan on
        # the thread's UPDATE): concurrent senders queue on the thread, as statements one
        # after the other would, instead of locking in different orders (a deadlock).
        thread_locked = select(latest.c.id).scalar_subquery()
        pointers = _unarchive_and_read(thread_locked, sender_id=sender_id, message=message)
        touched = await db.execute(
            pointers.add_cte(written),
            execution_options={INSERTED_ROWS: [(Message, [message.id])]},
        )
        set_committed_value(thread, "last_message_at", now)
        set_committed_value(thread, "last_message_id", message.id)
        bulk.keep(db, [message])
    else:
        db.add(message)
        thread.last_message_at, thread.last_message_id = now, message.id
        await db.flush()
        touched = await db.execute(
            _unarchive_and_read(thread.id, sender_id=sender_id, message=message)
        )
    if sender_id not in set(touched.scalars().all()):
        await mark_read_in(db, thread, user_id=sender_id, message=message)
    return message


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _unarchive_and_read(thread_id: Any, *, sender_id: uuid.UUID, message: Message) -> Any:
    """The UPDATE of the thread's read states a new message makes (returning whose it moved);
    `thread_id`: the thread's id, or an expression of it."""
    now = utcnow()
    states = _table(ThreadState).c
    behind = and_(
        states.user_id == sender_id,
        or_(states.last_read_message_id.is_(None), states.last_read_message_id < message.id),
    )
    return (
        update(_table(ThreadState))
        .where(
            states.thread_id == thread_id,
            or_(states.archived.is_(True), states.user_id == sender_id),
        )
        .values(
            archived=False,
            last_read_message_id=case((behind, message.id), else_=states.last_read_message_id),
            last_read_at=case((behind, now), else_=states.last_read_at),
        )
        .returning(states.user_id)
    )


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


async def enqueue_notifications(
    db: AsyncSession,
    thread: Thread,
    message: Message,
    sender_name: str,
    *,
    audience: Audience,
    group_name: str | None = None,
    timezone: str | None = None,
    into: list[dict[str, object]] | None = None,
) -> None:
    """Outbox rows for a new message, in its transaction (h2-notify's worker delivers them):
    everyone it reaches except the sender, the muted and those who left; no text when the
    thread is sensitive. `audience`: read once per write (audience_and_muted); `group_name`
    and `timezone` when the caller read them already."""
    target = notify_target(message, thread, audience)
    if not target.user_ids:
        return
    if message.sent_as_group_id is not None:
        if group_name is None:
            group = await db.get(Group, message.sent_as_group_id)
            group_name = group.name if group else None
        sender_name = group_name or sender_name
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
        institution_zone=timezone,
        known=audience.delivery,
        into=into,
    )


async def send_auto_replies(
    db: AsyncSession,
    thread: Thread,
    message: Message,
    audience: Audience,
    *,
    timezone: str | None = None,
) -> Message | None:
    """Away staff who take part personally answer once per thread and absence, and shared
    inboxes with an away reply once per thread and period, as the inbox (whose replies are
    due was read with the audience: audience_and_muted given the sender)."""
    last: Message | None = None
    for reply in audience.away:
        if reply.thread_id != thread.id or reply.user_id == message.sender_id:
            continue
        last = await post_message(
            db, thread, sender_id=reply.user_id, role="staff", body=reply.body, auto=True
        )
        await enqueue_notifications(
            db, thread, last, reply.name, audience=audience, timezone=timezone
        )
    for inbox in audience.inbox_away:
        if inbox.thread_id != thread.id:
            continue
        last = await post_message(
            db,
            thread,
            sender_id=inbox.set_by,
            role="staff",
            body=inbox.body,
            as_group=inbox.group_id,
            as_institution=inbox.group_id is None,
            auto=True,
        )
        await enqueue_notifications(
            db, thread, last, inbox.name, audience=audience, timezone=timezone
        )
    return last
