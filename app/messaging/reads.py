"""Read models of messaging's hot paths (the inbox, a thread and its messages): Core selects of
the columns the GraphQL types show, into light rows, with the counts, the participant summary
and the latest message aggregated in SQL, always through the visibility scopes of policies.py.

A thread's row carries everything the inbox shows of it in one statement; a page of messages
carries each sender's line. No ORM entity is loaded here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, and_, case, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.actor import Actor
from app.core.pagination import Page, paginate_rows
from app.institutions.models import Group, Institution
from app.institutions.policies import visible_groups, visible_institutions
from app.institutions.service.settings import settings_from
from app.messaging.models import Message, Participant, Thread, ThreadChild, ThreadState
from app.messaging.policies import unread_condition, visible_messages, visible_threads

SUMMARY_NAMES = 3  # "Pernille Holm, Bjørnene, Karsten Lund +3"


@dataclass(frozen=True, slots=True)
class SenderLine:
    """What a message's sender line needs, selected with the message."""

    user_name: str
    group_name: str | None  # the shared inbox it was sent from, if the reader sees the group
    institution_name: str | None  # None when the reader does not see the institution
    shown_to_guardians: str  # the institution's setting: "group" or "staff"


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: uuid.UUID
    institution_id: uuid.UUID
    thread_id: uuid.UUID
    sender_id: uuid.UUID
    sender_role: str
    sent_as_group_id: uuid.UUID | None
    sent_as_institution: bool
    body: str
    quoted_message_id: uuid.UUID | None
    is_auto_reply: bool
    created_at: Any
    edited_at: Any
    deleted_at: Any
    sender: SenderLine | None = None  # None: made from an entity a write holds

    @classmethod
    def of(cls, message: Message) -> MessageRow:
        return cls(**{name: getattr(message, name) for name in MESSAGE_FIELDS})


@dataclass(frozen=True, slots=True)
class Summary:
    """The others of a thread as the inbox line shows them: the first names (staff first, then
    by when they were added) and how many there are in all."""

    names: tuple[str | None, ...]  # None: a shared inbox whose group or institution is not seen
    total: int


@dataclass(frozen=True, slots=True)
class ThreadRow:
    id: uuid.UUID
    institution_id: uuid.UUID
    subject: str
    created_by: uuid.UUID
    created_at: Any
    is_broadcast: bool
    reply_to_all: bool
    audience: str
    sensitive: bool
    parent_thread_id: uuid.UUID | None
    last_message_at: Any
    last_message_id: uuid.UUID | None
    # The reader's view, selected with the thread; None in a row made from an entity a write
    # holds (the type then loads the view by id).
    view: ThreadView | None = None

    @classmethod
    def of(cls, thread: Thread) -> ThreadRow:
        return cls(**{name: getattr(thread, name) for name in THREAD_FIELDS})


@dataclass(frozen=True, slots=True)
class ThreadView:
    unread_count: int
    muted: bool
    archived: bool
    last_message: MessageRow | None
    summary: Summary


THREAD_FIELDS = tuple(c.key for c in Thread.__table__.columns)
MESSAGE_FIELDS = tuple(c.key for c in Message.__table__.columns)


def _sender_columns() -> list[Any]:
    """The sender line of the Message in the FROM clause (User, Group and Institution joined by
    `_with_sender`)."""
    return [
        User.name.label("s_user_name"),
        Group.name.label("s_group_name"),
        Institution.name.label("s_institution_name"),
        Institution.settings.label("s_settings"),
    ]


def _with_sender(statement: Select[Any], actor: Actor) -> Select[Any]:
    return (
        statement.outerjoin(User, User.id == Message.sender_id)
        .outerjoin(Group, and_(Group.id == Message.sent_as_group_id, visible_groups(actor)))
        .outerjoin(
            Institution,
            and_(Institution.id == Message.institution_id, visible_institutions(actor)),
        )
    )


def _message_row(row: Row[Any], prefix: str = "") -> MessageRow:
    values = {name: getattr(row, prefix + name) for name in MESSAGE_FIELDS}
    return MessageRow(
        **values,
        sender=SenderLine(
            user_name=row.s_user_name or "",
            group_name=row.s_group_name,
            institution_name=row.s_institution_name,
            shown_to_guardians=(
                settings_from(row.s_settings).shared_inbox_sender_shown_to_guardians
                if row.s_institution_name is not None
                else "group"
            ),
        ),
    )


def _others(actor: Actor, thread: Any = Thread) -> list[Any]:
    """The participants of the outer thread its summary names: not removed, not the reader;
    in a broadcast hiding its recipients from a guardian, its staff only. `thread`: the Thread
    entity, or a row source with its columns under their own names (a page of threads)."""
    hidden = and_(
        thread.is_broadcast,
        not_(thread.reply_to_all),
        thread.institution_id.not_in(actor.employed_in) if actor.employed_in else true(),
    )
    return [
        Participant.thread_id == thread.id,
        Participant.removed_at.is_(None),
        or_(Participant.user_id.is_(None), Participant.user_id != actor.user_id),
        or_(not_(hidden), Participant.role == "staff"),
    ]


def summary_order() -> list[Any]:
    """The order the summary names participants in: staff first, then by when they were added."""
    return [Participant.role != "staff", Participant.added_at, Participant.id]


def _named_participants(actor: Actor) -> Select[Any]:
    """Participants with the name the reader sees (None: a shared inbox whose group or
    institution they do not see; the type says "shared inbox" in their language)."""
    name = case(
        (Participant.kind == "user", func.coalesce(User.name, "")),
        (Participant.kind == "group_inbox", Group.name),
        else_=Institution.name,
    )
    return (
        select(name.label("name"))
        .select_from(Participant)
        .outerjoin(User, User.id == Participant.user_id)
        .outerjoin(Group, and_(Group.id == Participant.group_id, visible_groups(actor)))
        .outerjoin(
            Institution,
            and_(
                Participant.kind == "institution_inbox",
                Institution.id == Participant.institution_id,
                visible_institutions(actor),
            ),
        )
    )


def summarised_participants(actor: Actor, thread: Any) -> Select[Any]:
    """The participants a thread's summary names, with their `name` column, in no order (see
    `summary_order`): for a caller that aggregates them in one pass per thread (a compiled
    trusted document). `thread`: a row source with the thread's columns under their names."""
    return _named_participants(actor).where(*_others(actor, thread))


def _summary_columns(actor: Actor) -> list[Any]:
    named = (
        _named_participants(actor)
        .where(*_others(actor))
        .order_by(*summary_order())
        .correlate(Thread)
    )
    total = select(func.count()).select_from(Participant).where(*_others(actor)).correlate(Thread)
    return [
        *(
            named.limit(1).offset(n).scalar_subquery().label(f"p_name{n}")
            for n in range(SUMMARY_NAMES)
        ),
        total.scalar_subquery().label("p_total"),
    ]


def _thread_view(actor: Actor, *, summary: bool = True) -> Select[Any]:
    """Threads with the reader's view of each, in one statement; the caller adds the scope.
    Without `summary`, no p_* columns: a caller that builds the summary itself after paging
    (a compiled trusted document) does not pay for four subqueries per row."""
    unread = (
        select(func.count(Message.id))
        .where(Message.thread_id == Thread.id, unread_condition(actor))
        .correlate(Thread, ThreadState)
        .scalar_subquery()
    )
    statement = (
        select(
            *Thread.__table__.columns,
            ThreadState.muted.label("v_muted"),
            ThreadState.archived.label("v_archived"),
            unread.label("v_unread"),
            *(_summary_columns(actor) if summary else ()),
            *(c.label("m_" + c.key) for c in Message.__table__.columns),
            *_sender_columns(),
        )
        .select_from(Thread)
        .outerjoin(
            ThreadState,
            and_(ThreadState.thread_id == Thread.id, ThreadState.user_id == actor.user_id),
        )
        .outerjoin(Message, and_(Message.id == Thread.last_message_id, visible_messages(actor)))
    )
    return _with_sender(statement, actor)


def _thread_row(row: Row[Any]) -> ThreadRow:
    last = _message_row(row, "m_") if row.m_id is not None else None
    view = ThreadView(
        unread_count=int(row.v_unread or 0),
        muted=bool(row.v_muted),
        archived=bool(row.v_archived),
        last_message=last,
        summary=Summary(
            names=tuple(getattr(row, f"p_name{n}") for n in range(min(SUMMARY_NAMES, row.p_total))),
            total=int(row.p_total),
        ),
    )
    return ThreadRow(**{name: getattr(row, name) for name in THREAD_FIELDS}, view=view)


def threads_select(
    actor: Actor, thread_ids: Sequence[uuid.UUID], *, summary: bool = True
) -> Select[Any]:
    """The visible threads among `thread_ids`, each with the reader's view (`summary`: see
    `_thread_view`)."""
    return _thread_view(actor, summary=summary).where(
        Thread.id.in_(thread_ids), visible_threads(actor)
    )


def thread_select(actor: Actor, thread_id: Any, *, summary: bool = True) -> Select[Any]:
    """`threads_select` of one thread, given as a value or as a bound parameter (a compiled
    document's, read from each request: app.core.shapes.variable)."""
    return _thread_view(actor, summary=summary).where(
        Thread.id == thread_id, visible_threads(actor)
    )


async def thread_rows(
    db: AsyncSession, actor: Actor, thread_ids: Sequence[uuid.UUID]
) -> list[ThreadRow]:
    """The visible threads among `thread_ids`, each with the reader's view (any order)."""
    statement = threads_select(actor, thread_ids)
    return [_thread_row(row) for row in (await db.execute(statement)).all()]


INBOX_ORDER = [Thread.last_message_at, Thread.id]  # newest first


def inbox_select(
    actor: Actor,
    *,
    institution_id: uuid.UUID | None = None,
    child_id: uuid.UUID | None = None,
    unread: bool | None = None,
    archived: bool = False,
    summary: bool = True,
) -> Select[Any]:
    """The inbox's threads, each with the reader's view, before paging (`INBOX_ORDER`;
    `summary`: see `_thread_view`)."""
    statement = _thread_view(actor, summary=summary).where(visible_threads(actor))
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
            .correlate(Thread, ThreadState)
            .exists()
        )
        statement = statement.where(pending if unread else ~pending)
    return statement


async def inbox_page(
    *,
    db: AsyncSession,
    actor: Actor,
    first: int | None,
    after: str | None,
    institution_id: uuid.UUID | None = None,
    child_id: uuid.UUID | None = None,
    unread: bool | None = None,
    archived: bool = False,
) -> Page[ThreadRow]:
    """The inbox: visible threads by last activity, newest first, each with the reader's view;
    one statement whatever the page size and however many take part."""
    statement = inbox_select(
        actor, institution_id=institution_id, child_id=child_id, unread=unread, archived=archived
    )
    page = await paginate_rows(
        db, statement, order_by=INBOX_ORDER, first=first, after=after, descending=True
    )
    return Page(
        items=[_thread_row(row) for row in page.items],
        cursors=page.cursors,
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
    )


def _message_select(actor: Actor) -> Select[Any]:
    statement = select(*Message.__table__.columns, *_sender_columns()).select_from(Message)
    return _with_sender(statement, actor).where(visible_messages(actor))


async def message_rows(
    db: AsyncSession, actor: Actor, message_ids: Sequence[uuid.UUID]
) -> list[MessageRow]:
    """The visible messages among `message_ids`, with their sender lines (any order)."""
    statement = _message_select(actor).where(Message.id.in_(message_ids))
    return [_message_row(row) for row in (await db.execute(statement)).all()]


MESSAGE_ORDER = [Message.id]  # newest first


def thread_messages_select(actor: Actor, thread_id: uuid.UUID) -> Select[Any]:
    """A thread's messages the reader may read, with their sender lines, before paging."""
    return _message_select(actor).where(Message.thread_id == thread_id)


async def messages_page(
    *, db: AsyncSession, actor: Actor, thread_id: uuid.UUID, first: int | None, after: str | None
) -> Page[MessageRow]:
    """A thread's messages the reader may read, newest first; `after` pages back in time."""
    page = await paginate_rows(
        db,
        thread_messages_select(actor, thread_id),
        order_by=MESSAGE_ORDER,
        first=first,
        after=after,
        descending=True,
    )
    return Page(
        items=[_message_row(row) for row in page.items],
        cursors=page.cursors,
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
    )


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    id: uuid.UUID
    thread_id: uuid.UUID
    kind: str
    user_id: uuid.UUID | None
    role: str
    has_left: bool
    name: str | None  # None: a shared inbox whose group or institution the reader does not see


async def participant_rows(
    db: AsyncSession, actor: Actor, thread_ids: Sequence[uuid.UUID]
) -> list[ParticipantRow]:
    """Who takes part in the visible threads among `thread_ids` (not removed), with their
    names, in the order they were added."""
    statement = (
        _named_participants(actor)
        .add_columns(
            Participant.id,
            Participant.thread_id,
            Participant.kind,
            Participant.user_id,
            Participant.role,
            Participant.left_at,
        )
        .where(
            Participant.thread_id.in_(
                select(Thread.id).where(Thread.id.in_(thread_ids), visible_threads(actor))
            ),
            Participant.removed_at.is_(None),
        )
        .order_by(Participant.added_at, Participant.id)
    )
    return [
        ParticipantRow(
            id=row.id,
            thread_id=row.thread_id,
            kind=row.kind,
            user_id=row.user_id,
            role=row.role,
            has_left=row.left_at is not None,
            name=row.name,
        )
        for row in (await db.execute(statement)).all()
    ]
