"""GraphQL types of messaging: Thread and Message nodes, thin shells over rows and loaders."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.api.access import operation_name
from app.api.node import load_nodes, node_of
from app.api.pagination import Connection, connection
from app.core.actor import Actor
from app.core.i18n import translate
from app.db import utcnow
from app.institutions import loaders as institution_loaders
from app.institutions.service.settings import settings_of
from app.messaging import loaders as messaging_loaders
from app.messaging import models, reads
from app.messaging.reads import (
    MessageRow,
    ParticipantRow,
    SenderLine,
    Summary,
    ThreadRow,
    ThreadView,
)
from app.messaging.service.editing import EDIT_WINDOW
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access_through

if TYPE_CHECKING:
    from app.files.api.types import File
    from app.institutions.api.types import ChildNode, GroupNode, InstitutionNode

LazyChild = Annotated["ChildNode", strawberry.lazy("app.institutions.api.types")]
LazyGroup = Annotated["GroupNode", strawberry.lazy("app.institutions.api.types")]
LazyInstitution = Annotated["InstitutionNode", strawberry.lazy("app.institutions.api.types")]
LazyFile = Annotated["File", strawberry.lazy("app.files.api.types")]


@strawberry.enum
class ParticipantKind(Enum):
    USER = "user"
    GROUP_INBOX = "group_inbox"
    INSTITUTION_INBOX = "institution_inbox"


@strawberry.enum
class ThreadRole(Enum):
    STAFF = "staff"
    GUARDIAN = "guardian"


@strawberry.enum
class SenderRole(Enum):
    STAFF = "staff"
    ADMIN = "admin"
    GUARDIAN = "guardian"


async def _actor(info: Info) -> Actor:
    return await info.context.require_actor()


def log_threads(db: Any, actor: Actor, thread_ids: Iterable[uuid.UUID], operation: str) -> None:
    """Note the children these threads are about (message_thread_children) as read: their
    messages are messages about the child (app/privacy/accesslog). A thread about no child
    (a broadcast, a staff thread) leaves no row; the request's one INSERT finds the children."""
    record_access_through(
        db,
        actor,
        keys=thread_ids,
        child=models.ThreadChild.child_id,
        key=models.ThreadChild.thread_id,
        kind=AccessKind.MESSAGES,
        operation=operation,
    )


async def logged_threads(info: Info, thread_ids: Iterable[uuid.UUID]) -> None:
    """`log_threads` for a resolver."""
    log_threads(info.context.db, await _actor(info), thread_ids, operation_name(info))


def _recipients_hidden(actor: Actor, thread: ThreadRow) -> bool:
    """Broadcasts hide their recipients from guardians unless "reply to all" was chosen."""
    return (
        thread.is_broadcast
        and not thread.reply_to_all
        and not actor.works_in(thread.institution_id)
    )


def audience_label(thread: ThreadRow | models.Thread, language: str) -> str | None:
    if not thread.audience:
        return None
    if thread.audience == "institution":
        return translate("audience_institution", language)
    return translate("audience_groups", language, names=thread.audience.removeprefix("groups:"))


async def _readers(info: Info, states: list[models.ThreadState]) -> list[ThreadReader]:
    users = await info.context.loaders.get(institution_loaders.user_by_id).load_many(
        [s.user_id for s in states]
    )
    return [
        ThreadReader(name=u.name if u else "", read_at=s.last_read_at, row=s)
        for s, u in zip(states, users, strict=True)
    ]


@strawberry.type
class ThreadParticipant:
    id: strawberry.ID
    kind: ParticipantKind
    role: ThreadRole
    name: str
    has_left: bool


@strawberry.type(description="Who has read how far (staff only).")
class ThreadReader:
    name: str
    read_at: dt.datetime | None
    row: strawberry.Private[models.ThreadState]


@strawberry.type
class MessageSender:
    name: str
    role: SenderRole
    is_me: bool
    group_id: strawberry.Private[uuid.UUID | None]
    institution_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Set when the message was sent from a group's shared inbox.")
    async def group(self, info: Info) -> LazyGroup | None:
        if self.group_id is None:
            return None
        row = await info.context.loaders.get(institution_loaders.group_by_id).load(self.group_id)
        return node_of(info, "Group", row) if row else None

    @strawberry.field
    async def institution(self, info: Info) -> LazyInstitution | None:
        row = await info.context.loaders.get(institution_loaders.institution_by_id).load(
            self.institution_id
        )
        return node_of(info, "Institution", row) if row else None


def _sender_name(actor: Actor, row: MessageRow, line: SenderLine, language: str) -> str:
    """Guardians see a shared inbox's answer as the group's (or the institution's) unless the
    institution chose to show the staff member."""
    staff_viewer = actor.works_in(row.institution_id)
    if staff_viewer or row.sender_id == actor.user_id or line.shown_to_guardians != "group":
        return line.user_name
    if row.sent_as_group_id is not None:
        return (
            line.group_name if line.group_name is not None else translate("shared_inbox", language)
        )
    if row.sent_as_institution and line.institution_name is not None:
        return line.institution_name
    return line.user_name


async def _sender_line(info: Info, actor: Actor, row: MessageRow) -> SenderLine:
    """The sender line of a message a write returns (read ones carry theirs); one's own name
    is the actor's."""
    loaders = info.context.loaders
    institution = await loaders.get(institution_loaders.institution_by_id).load(row.institution_id)
    if row.sender_id == actor.user_id:
        user_name = actor.name
    else:
        user = await loaders.get(institution_loaders.user_by_id).load(row.sender_id)
        user_name = user.name if user else ""
    group = (
        await loaders.get(institution_loaders.group_by_id).load(row.sent_as_group_id)
        if row.sent_as_group_id is not None
        else None
    )
    return SenderLine(
        user_name=user_name,
        group_name=group.name if group else None,
        institution_name=institution.name if institution else None,
        shown_to_guardians=(
            settings_of(institution).shared_inbox_sender_shown_to_guardians
            if institution
            else "group"
        ),
    )


async def _thread_node(info: Info, thread_id: uuid.UUID | None) -> ThreadNode | None:
    if thread_id is None:
        return None
    # Not logged here: Message.thread is the thread of a message whose read was logged (by
    # searchMessages, node), a mutation's answer is the writer's own, and a broadcast (a
    # parentThread) is about no child.
    row = await info.context.loaders.get(messaging_loaders.thread_by_id).load(thread_id)
    return ThreadNode.of(row) if row else None


@strawberry.type(name="Message")
class MessageNode(relay.Node):
    id: relay.NodeID[str]
    created_at: dt.datetime
    edited_at: dt.datetime | None
    is_auto_reply: bool
    row: strawberry.Private[MessageRow]

    @classmethod
    def of(cls, row: MessageRow | models.Message) -> MessageNode:
        if isinstance(row, models.Message):
            row = MessageRow.of(row)
        return cls(
            id=str(row.id),
            created_at=row.created_at,
            edited_at=row.edited_at,
            is_auto_reply=row.is_auto_reply,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[MessageNode | None]:
        nodes = await load_nodes(info, messaging_loaders.message_by_id, node_ids, cls.of)
        await logged_threads(info, [n.row.thread_id for n in nodes if n is not None])
        return nodes

    @strawberry.field(description="Attachments; download links only for those who may read.")
    async def files(self, info: Info) -> list[LazyFile]:
        rows = await info.context.loaders.get(messaging_loaders.files_by_message).load(self.row.id)
        return [node_of(info, "File", row) for row in rows]

    @strawberry.field(description="Null once deleted.")
    def body(self) -> str | None:
        return None if self.row.deleted_at else self.row.body

    @strawberry.field
    def is_deleted(self) -> bool:
        return self.row.deleted_at is not None

    @strawberry.field(description="The sender may edit or delete for 15 minutes.")
    async def can_edit(self, info: Info) -> bool:
        actor = await _actor(info)
        return (
            self.row.sender_id == actor.user_id
            and self.row.deleted_at is None
            and utcnow() - self.row.created_at <= EDIT_WINDOW
        )

    @strawberry.field
    async def thread(self, info: Info) -> ThreadNode | None:
        return await _thread_node(info, self.row.thread_id)

    @strawberry.field
    async def quoted_message(self, info: Info) -> MessageNode | None:
        if self.row.quoted_message_id is None:
            return None
        row = await info.context.loaders.get(messaging_loaders.message_by_id).load(
            self.row.quoted_message_id
        )
        return MessageNode.of(row) if row else None

    @strawberry.field
    async def sender(self, info: Info) -> MessageSender:
        actor = await _actor(info)
        row = self.row
        line = row.sender if row.sender is not None else await _sender_line(info, actor, row)
        return MessageSender(
            name=_sender_name(actor, row, line, info.context.language),
            role=SenderRole(row.sender_role),
            is_me=row.sender_id == actor.user_id,
            group_id=row.sent_as_group_id,
            institution_id=row.institution_id,
        )

    @strawberry.field(description="Who has read this message: for staff; null for guardians.")
    async def read_by(self, info: Info) -> list[ThreadReader] | None:
        actor = await _actor(info)
        if not actor.works_in(self.row.institution_id):
            return None
        states = await info.context.loaders.get(messaging_loaders.states_by_thread).load(
            self.row.thread_id
        )
        return await _readers(
            info,
            [
                s
                for s in states
                if s.user_id != self.row.sender_id
                and s.last_read_message_id is not None
                and s.last_read_message_id >= self.row.id
            ],
        )


NO_VIEW = ThreadView(
    unread_count=0, muted=False, archived=False, last_message=None, summary=Summary((), 0)
)


@strawberry.type(name="Thread")
class ThreadNode(relay.Node):
    id: relay.NodeID[str]
    subject: str
    is_broadcast: bool
    reply_to_all: bool
    sensitive: bool
    created_at: dt.datetime
    last_message_at: dt.datetime
    row: strawberry.Private[ThreadRow]

    @classmethod
    def of(cls, row: ThreadRow | models.Thread) -> ThreadNode:
        if isinstance(row, models.Thread):
            row = ThreadRow.of(row)
        return cls(
            id=str(row.id),
            subject=row.subject,
            is_broadcast=row.is_broadcast,
            reply_to_all=row.reply_to_all,
            sensitive=row.sensitive,
            created_at=row.created_at,
            last_message_at=row.last_message_at,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ThreadNode | None]:
        nodes = await load_nodes(info, messaging_loaders.thread_by_id, node_ids, cls.of)
        await logged_threads(info, [n.row.id for n in nodes if n is not None])
        return nodes

    @strawberry.field
    async def institution(self, info: Info) -> LazyInstitution | None:
        row = await info.context.loaders.get(institution_loaders.institution_by_id).load(
            self.row.institution_id
        )
        return node_of(info, "Institution", row) if row else None

    @strawberry.field(description="The guardians' broadcast this is a private reply to.")
    async def parent_thread(self, info: Info) -> ThreadNode | None:
        return await _thread_node(info, self.row.parent_thread_id)

    @strawberry.field(description='A broadcast\'s audience, e.g. "Guardians of Bjørnene".')
    def audience(self, info: Info) -> str | None:
        return audience_label(self.row, info.context.language)

    async def _view(self, info: Info) -> ThreadView:
        """The reader's view: selected with the thread, or loaded for a thread a write returns."""
        if self.row.view is not None:
            return self.row.view
        row = await info.context.loaders.get(messaging_loaders.thread_view_by_id).load(self.row.id)
        return row.view if row is not None and row.view is not None else NO_VIEW

    @strawberry.field
    async def last_message(self, info: Info) -> MessageNode | None:
        last = (await self._view(info)).last_message
        return MessageNode.of(last) if last is not None else None

    @strawberry.field
    async def unread_count(self, info: Info) -> int:
        return (await self._view(info)).unread_count

    @strawberry.field
    async def muted(self, info: Info) -> bool:
        return (await self._view(info)).muted

    @strawberry.field
    async def archived(self, info: Info) -> bool:
        return (await self._view(info)).archived

    async def _participants(self, info: Info) -> list[ParticipantRow]:
        actor = await _actor(info)
        rows = await info.context.loaders.get(messaging_loaders.participants_by_thread).load(
            self.row.id
        )
        if _recipients_hidden(actor, self.row):
            rows = [r for r in rows if r.role == "staff" or r.user_id == actor.user_id]
        return rows

    @strawberry.field(
        description="Who takes part. Guardians do not see the other recipients of a broadcast."
    )
    async def participants(self, info: Info) -> list[ThreadParticipant]:
        fallback = translate("shared_inbox", info.context.language)
        return [
            ThreadParticipant(
                id=strawberry.ID(str(r.id)),
                kind=ParticipantKind(r.kind),
                role=ThreadRole(r.role),
                name=r.name if r.name is not None else fallback,
                has_left=r.has_left,
            )
            for r in await self._participants(info)
        ]

    @strawberry.field(description='A short line for the inbox: "Pernille Holm, Bjørnene +3".')
    async def participants_summary(self, info: Info) -> str:
        actor = await _actor(info)
        summary = (await self._view(info)).summary
        language = info.context.language
        fallback = translate("shared_inbox", language)
        names = [name if name is not None else fallback for name in summary.names]
        if _recipients_hidden(actor, self.row):
            label = audience_label(self.row, language)
            return ", ".join([*names[:3], *([label] if label else [])])
        shown = ", ".join(names[:3])
        return shown + (f" +{summary.total - 3}" if summary.total > 3 else "")

    @strawberry.field(description="The children the thread is about (one family's).")
    async def children(self, info: Info) -> list[LazyChild]:
        rows = await info.context.loaders.get(messaging_loaders.children_by_thread).load(
            self.row.id
        )
        return [node_of(info, "Child", r) for r in rows]

    @strawberry.field(description="Messages, newest first; `after` pages back in time.")
    async def messages(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[MessageNode]:
        page = await reads.messages_page(
            db=info.context.db,
            actor=await _actor(info),
            thread_id=self.row.id,
            first=first,
            after=after,
        )
        return connection(page, MessageNode.of)

    @strawberry.field(description="Everyone's read state, for the thread's staff; else null.")
    async def read_by(self, info: Info) -> list[ThreadReader] | None:
        actor = await _actor(info)
        if not actor.works_in(self.row.institution_id):
            return None
        states = await info.context.loaders.get(messaging_loaders.states_by_thread).load(
            self.row.id
        )
        return await _readers(info, states)
