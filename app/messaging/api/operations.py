"""Queries and mutations of messaging: decode IDs, call the use cases, shape the answer (what
they set off after commit, they record themselves; the subscriptions are in subscriptions.py)."""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry
from strawberry.types import Info

from app.api.errors import errors_as_data
from app.api.idempotency import IdempotencyKeyArg, first, idempotent
from app.api.ids import decode, plain_uuid
from app.api.pagination import Connection, connection
from app.api.permissions import IsAuthenticated
from app.messaging import reads
from app.messaging.api.payloads import (
    AutoReplyInfo,
    AutoReplyResult,
    MessageResult,
    MessagingDone,
    MessagingDoneResult,
    RecipientsInput,
    StartThreadInput,
    StartThreadResult,
    ThreadResult,
    ThreadsStarted,
)
from app.messaging.api.priming import prime
from app.messaging.api.types import MessageNode, ThreadNode, logged_threads
from app.messaging.models import Message, Thread
from app.messaging.service import (
    editing,
    inbox,
    inbox_replies,
    participation,
    sending,
    starting,
)


def _files(ids: list[strawberry.ID]) -> list[uuid.UUID]:
    return [decode(i, "File", field="fileIds") for i in ids]


def _thread(id_: strawberry.ID) -> uuid.UUID:
    return decode(id_, "Thread", field="threadId")


@strawberry.type
class MessagingQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Your threads by last activity (archived ones only with archived: true).",
    )
    async def inbox(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        institution_id: strawberry.ID | None = None,
        child_id: strawberry.ID | None = None,
        unread: bool | None = None,
        archived: bool = False,
    ) -> Connection[ThreadNode]:
        page = await reads.inbox_page(
            db=info.context.db,
            actor=await info.context.require_actor(),
            first=first,
            after=after,
            institution_id=decode(institution_id, "Institution", field="institutionId")
            if institution_id
            else None,
            child_id=decode(child_id, "Child", field="childId") if child_id else None,
            unread=unread,
            archived=archived,
        )
        await logged_threads(info, [row.id for row in page.items])
        return connection(page, ThreadNode.of)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def unread_messages(self, info: Info, institution_id: strawberry.ID | None = None) -> int:
        return await inbox.total_unread(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId")
            if institution_id
            else None,
        )

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Search the messages you may read (Danish stemming on PostgreSQL).",
    )
    async def search_messages(
        self, info: Info, text: str, first: int | None = 20, after: str | None = None
    ) -> Connection[MessageNode]:
        page = await inbox.search_messages(
            db=info.context.db,
            actor=await info.context.require_actor(),
            text=text,
            first=first,
            after=after,
        )
        await logged_threads(info, [row.thread_id for row in page.items])
        return connection(page, MessageNode.of)


@strawberry.type
class MessagingMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Start a thread (one per family when it is about several families).",
    )
    @errors_as_data
    @idempotent(Thread, Message, present=ThreadsStarted.replay)
    async def start_thread(
        self, info: Info, input: StartThreadInput, idempotency_key: IdempotencyKeyArg = None
    ) -> StartThreadResult:
        outcome = await starting.start_thread(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(input.institution_id, "Institution", field="institutionId"),
            subject=input.subject,
            body=input.body,
            recipients=input.recipients.decoded(),
            sensitive=input.sensitive,
            reply_to_all=input.reply_to_all,
            as_group_id=decode(input.as_group_id, "Group", field="asGroupId")
            if input.as_group_id
            else None,
            file_ids=_files(input.file_ids),
        )
        prime(info, outcome)
        rows = {row.id: row for row in outcome.thread_rows}
        return ThreadsStarted(
            threads=[ThreadNode.of(rows.get(t.id, t)) for t in outcome.threads],
            first_message=MessageNode.of(outcome.message) if outcome.message else None,
        )

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    @idempotent(Message, present=first(MessageNode.of))
    async def send_message(
        self,
        info: Info,
        thread_id: strawberry.ID,
        body: str,
        quoted_message_id: strawberry.ID | None = None,
        file_ids: list[strawberry.ID] | None = None,
        idempotency_key: IdempotencyKeyArg = None,
    ) -> MessageResult:
        outcome = await sending.send_message(
            db=info.context.db,
            actor=await info.context.require_actor(),
            thread_id=_thread(thread_id),
            body=body,
            quoted_message_id=decode(quoted_message_id, "Message", field="quotedMessageId")
            if quoted_message_id
            else None,
            file_ids=_files(file_ids or []),
        )
        assert outcome.message is not None
        prime(info, outcome)
        return MessageNode.of(outcome.message)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def edit_message(self, info: Info, message_id: strawberry.ID, body: str) -> MessageResult:
        outcome = await editing.edit_message(
            db=info.context.db,
            actor=await info.context.require_actor(),
            message_id=decode(message_id, "Message", field="messageId"),
            body=body,
        )
        assert outcome.message is not None
        return MessageNode.of(outcome.message)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def delete_message(self, info: Info, message_id: strawberry.ID) -> MessageResult:
        outcome = await editing.delete_message(
            db=info.context.db,
            actor=await info.context.require_actor(),
            message_id=decode(message_id, "Message", field="messageId"),
        )
        assert outcome.message is not None
        return MessageNode.of(outcome.message)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Copy a message into another thread; sensitive threads cannot be forwarded.",
    )
    @errors_as_data
    @idempotent(Message, present=first(MessageNode.of))
    async def forward_message(
        self,
        info: Info,
        message_id: strawberry.ID,
        thread_id: strawberry.ID,
        idempotency_key: IdempotencyKeyArg = None,
    ) -> MessageResult:
        outcome = await editing.forward_message(
            db=info.context.db,
            actor=await info.context.require_actor(),
            message_id=decode(message_id, "Message", field="messageId"),
            thread_id=_thread(thread_id),
        )
        assert outcome.message is not None
        prime(info, outcome)
        return MessageNode.of(outcome.message)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def mark_thread_read(
        self, info: Info, thread_id: strawberry.ID, up_to_message_id: strawberry.ID | None = None
    ) -> ThreadResult:
        outcome = await participation.mark_read(
            db=info.context.db,
            actor=await info.context.require_actor(),
            thread_id=_thread(thread_id),
            up_to_message_id=decode(up_to_message_id, "Message", field="upToMessageId")
            if up_to_message_id
            else None,
        )
        return ThreadNode.of(outcome.threads[0])

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def set_thread_flags(
        self,
        info: Info,
        thread_id: strawberry.ID,
        muted: bool | None = None,
        archived: bool | None = None,
    ) -> ThreadResult:
        outcome = await participation.set_flags(
            db=info.context.db,
            actor=await info.context.require_actor(),
            thread_id=_thread(thread_id),
            muted=muted,
            archived=archived,
        )
        return ThreadNode.of(outcome.threads[0])

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def leave_thread(self, info: Info, thread_id: strawberry.ID) -> ThreadResult:
        outcome = await participation.leave_thread(
            db=info.context.db,
            actor=await info.context.require_actor(),
            thread_id=_thread(thread_id),
        )
        return ThreadNode.of(outcome.threads[0])

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def add_thread_participants(
        self, info: Info, thread_id: strawberry.ID, recipients: RecipientsInput
    ) -> ThreadResult:
        outcome = await participation.add_participants(
            db=info.context.db,
            actor=await info.context.require_actor(),
            thread_id=_thread(thread_id),
            recipients=recipients.decoded(),
        )
        return ThreadNode.of(outcome.threads[0])

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def remove_thread_participant(
        self, info: Info, thread_id: strawberry.ID, participant_id: strawberry.ID
    ) -> ThreadResult:
        outcome = await participation.remove_participant(
            db=info.context.db,
            actor=await info.context.require_actor(),
            thread_id=_thread(thread_id),
            participant_id=plain_uuid(participant_id, field="participantId"),
        )
        return ThreadNode.of(outcome.threads[0])

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def mark_thread_sensitive(self, info: Info, thread_id: strawberry.ID) -> ThreadResult:
        outcome = await participation.mark_sensitive(
            db=info.context.db,
            actor=await info.context.require_actor(),
            thread_id=_thread(thread_id),
        )
        return ThreadNode.of(outcome.threads[0])

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def delete_thread(self, info: Info, thread_id: strawberry.ID) -> MessagingDoneResult:
        await editing.delete_thread(
            db=info.context.db,
            actor=await info.context.require_actor(),
            thread_id=_thread(thread_id),
        )
        return MessagingDone()

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Staff: an away reply for your personal inbox; an empty body clears it.",
    )
    @errors_as_data
    async def set_auto_reply(
        self,
        info: Info,
        institution_id: strawberry.ID,
        body: str | None = None,
        starts_at: dt.datetime | None = None,
        ends_at: dt.datetime | None = None,
    ) -> AutoReplyResult:
        row = await participation.set_auto_reply(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            body=body,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        if row is None:
            return MessagingDone()
        return AutoReplyInfo(body=row.body, starts_at=row.starts_at, ends_at=row.ends_at)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A shared inbox's away reply: a group's (`groupId`: its staff, the "
        "institution's admins) or the institution's (no `groupId`: its admins). While the "
        "period lasts, a guardian writing to the inbox gets it once per thread and period, "
        "sent as the inbox. An empty body clears it.",
    )
    @errors_as_data
    async def set_inbox_auto_reply(
        self,
        info: Info,
        institution_id: strawberry.ID,
        group_id: strawberry.ID | None = None,
        body: str | None = None,
        starts_at: dt.datetime | None = None,
        ends_at: dt.datetime | None = None,
    ) -> AutoReplyResult:
        row = await inbox_replies.set_inbox_auto_reply(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            group_id=decode(group_id, "Group", field="groupId") if group_id else None,
            body=body,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        if row is None:
            return MessagingDone()
        return AutoReplyInfo(body=row.body, starts_at=row.starts_at, ends_at=row.ends_at)
