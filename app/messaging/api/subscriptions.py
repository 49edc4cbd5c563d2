"""Subscriptions of messaging: one's inbox and one thread, each event re-read through the
subscriber's own visibility rules."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from enum import Enum

import strawberry
from graphql import GraphQLError
from strawberry.relay import GlobalID
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import reason_extensions
from app.api.ids import decode
from app.api.permissions import IsAuthenticated
from app.core.i18n import translate
from app.core.reasons import Reason
from app.db import end_read_transaction
from app.messaging import events as kinds
from app.messaging.api.types import MessageNode, ThreadNode, log_threads
from app.messaging.loaders import message_by_id, thread_by_id
from app.messaging.service import live


@strawberry.enum
class InboxEventKind(Enum):
    NEW_THREAD = kinds.NEW_THREAD
    NEW_MESSAGE = kinds.NEW_MESSAGE
    MESSAGE_CHANGED = kinds.MESSAGE_CHANGED
    READ = kinds.READ
    THREAD_CHANGED = kinds.THREAD_CHANGED


@strawberry.type
class InboxEvent:
    kind: InboxEventKind
    thread_id: strawberry.ID
    thread: ThreadNode | None = strawberry.field(description="Null when no longer yours.")
    message: MessageNode | None


def _maybe_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@strawberry.type
class MessagingSubscriptions:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Your inbox changed: a new thread or message, read elsewhere, ...",
    )
    async def inbox_events(self, info: Info) -> AsyncGenerator[InboxEvent, None]:
        actor = await info.context.require_actor()
        context, db = info.context, info.context.db
        await end_read_transaction(db)
        async with context.runtime.broker.subscribe(live.inbox_channel(actor.user_id)) as events:
            async for event in events:
                # Each event is re-read through the subscriber's own visibility rules.
                await end_read_transaction(db)
                context.reset_loaders()
                thread_id = _maybe_uuid(event.get("thread_id"))
                message_id = _maybe_uuid(event.get("message_id"))
                if thread_id is None:
                    continue
                thread = (await thread_by_id(db, actor, [thread_id]))[0]
                message = (await message_by_id(db, actor, [message_id]))[0] if message_id else None
                # Written before the event is sent (app.root.access_log.AccessLogPerResult).
                shown = [row.id for row in (thread,) if row is not None]
                shown += [row.thread_id for row in (message,) if row is not None]
                log_threads(db, actor, shown, operation_name(info))
                yield InboxEvent(
                    kind=InboxEventKind(event.get("kind")),
                    thread_id=strawberry.ID(str(GlobalID("Thread", str(thread_id)))),
                    thread=ThreadNode.of(thread) if thread else None,
                    message=MessageNode.of(message) if message else None,
                )
                await end_read_transaction(db)  # resumed once the result was sent

    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="New and changed messages of one thread you take part in.",
    )
    async def thread_messages(
        self, info: Info, thread_id: strawberry.ID
    ) -> AsyncGenerator[MessageNode, None]:
        actor = await info.context.require_actor()
        context, db = info.context, info.context.db
        wanted = decode(thread_id, "Thread", field="threadId")
        if (await thread_by_id(db, actor, [wanted]))[0] is None:
            # Subscriptions bypass the ErrorPolicy extension: shape the error here.
            raise GraphQLError(
                translate("not_found", context.language),
                extensions={
                    "code": "NOT_FOUND",
                    "field": "threadId",
                    **reason_extensions(Reason.NOT_FOUND),
                },
            )
        await end_read_transaction(db)
        async with context.runtime.broker.subscribe(live.thread_channel(wanted)) as events:
            async for event in events:
                await end_read_transaction(db)
                context.reset_loaders()
                message_id = _maybe_uuid(event.get("message_id"))
                if message_id is None:
                    continue
                message = (await message_by_id(db, actor, [message_id]))[0]
                if message is not None:
                    log_threads(db, actor, [message.thread_id], operation_name(info))
                    yield MessageNode.of(message)
                    await end_read_transaction(db)
