"""Shared inboxes' own away replies: a group's inbox or the institution's, set by its staff,
sent as the inbox once per thread and period when a guardian writes to it (as a staff
member's personal away reply is; the reply due is read with the audience,
app.messaging.service.audience, and posted by posting.send_auto_replies)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.db import new_id, utcnow, write_transaction
from app.institutions.models import Group
from app.messaging.models import InboxAutoReply
from app.messaging.policies import can_set_inbox_reply
from app.messaging.service.posting import clean_body


async def set_inbox_auto_reply(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    group_id: uuid.UUID | None,
    body: str | None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> InboxAutoReply | None:
    """Set (or with an empty body, clear) the away reply of a group's inbox (`group_id`) or
    the institution's (None). A new period answers every thread once more."""
    if not can_set_inbox_reply(actor, institution_id, group_id):
        raise NotFound(field="groupId" if group_id else "institutionId")
    text = clean_body(body or "", allow_empty=True)
    start = starts_at or utcnow()
    if text and (ends_at is None or ends_at <= start):
        raise ValidationFailed("period_order", field="endsAt")
    async with write_transaction(db):
        if group_id is not None:
            group = await db.get(Group, group_id)
            if group is None or group.institution_id != institution_id:
                raise NotFound(field="groupId")
        where = (
            InboxAutoReply.group_id == group_id
            if group_id is not None
            else InboxAutoReply.group_id.is_(None)
        )
        row = await db.scalar(
            select(InboxAutoReply).where(InboxAutoReply.institution_id == institution_id, where)
        )
        if not text:
            if row is not None:
                await db.delete(row)
            return None
        assert ends_at is not None
        if row is None:
            row = InboxAutoReply(
                id=new_id(), institution_id=institution_id, group_id=group_id, set_by=actor.user_id
            )
            db.add(row)
        row.body, row.starts_at, row.ends_at, row.set_by = text, start, ends_at, actor.user_id
        await db.flush()
    return row
