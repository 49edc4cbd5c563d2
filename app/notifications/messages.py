"""Notifications for new messages. Messaging calls this inside the transaction that writes the
message, with what its `app.messaging.audience.recipients_to_notify(db=, message_id=)` returns
(a NotifyTarget: recipients already without the sender, muted and departed participants):

    target = await recipients_to_notify(db=db, message_id=message.id)
    if target is not None:
        await notify_new_message(db=db, target=target)

Kept free of messaging imports (it takes the target by shape), so either side can land first."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.institutions.models import Group
from app.notifications.service import DEFAULT_DIGEST_MINUTES, enqueue


class MessageTarget(Protocol):
    @property
    def message_id(self) -> uuid.UUID: ...
    @property
    def thread_id(self) -> uuid.UUID: ...
    @property
    def institution_id(self) -> uuid.UUID: ...
    @property
    def sender_id(self) -> uuid.UUID: ...
    @property
    def user_ids(self) -> Collection[uuid.UUID]: ...
    @property
    def sensitive(self) -> bool: ...
    @property
    def preview(self) -> str | None: ...


def thread_link(thread_id: uuid.UUID) -> str:
    """Where the apps open the thread; e-mails put the public URL in front."""
    return f"/threads/{thread_id}"


async def notify_new_message(
    *,
    db: AsyncSession,
    target: MessageTarget,
    sent_as_group_id: uuid.UUID | None = None,
    digest_minutes: int = DEFAULT_DIGEST_MINUTES,
) -> int:
    """Outbox rows (push, e-mail digest) for a new message. The sender is shown by name, or
    as the group when it was written from a group's shared inbox; a sensitive thread's text
    never goes into a push (and no e-mail ever carries text)."""
    if not target.user_ids:
        return 0
    if sent_as_group_id is not None:
        sender = await db.scalar(select(Group.name).where(Group.id == sent_as_group_id))
    else:
        sender = await db.scalar(select(User.name).where(User.id == target.sender_id))
    return await enqueue(
        db=db,
        institution_id=target.institution_id,
        recipients=target.user_ids,
        kind="message",
        subject_id=target.message_id,
        sender_name=sender or "",
        link=thread_link(target.thread_id),
        preview=target.preview,
        sensitive=target.sensitive,
        digest_minutes=digest_minutes,
    )
