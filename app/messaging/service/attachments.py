"""Attachments of messages: files uploaded through POST /uploads (purpose "attachment"),
claimed by a message, downloadable by those who may read the message, deleted with it.

An upload fanned out to several families' threads is claimed once and attached to each
message; its objects go when the last message carrying it goes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.files.models import StoredFile
from app.files.service import uploads as files
from app.messaging.models import Message, MessageAttachment

MAX_ATTACHMENTS = 10


async def claim(
    db: AsyncSession, actor: Actor, institution_id: uuid.UUID, file_ids: Sequence[uuid.UUID]
) -> list[StoredFile]:
    """Inside the mutation's transaction: the actor's own unclaimed attachment uploads."""
    if len(set(file_ids)) > MAX_ATTACHMENTS:
        raise ValidationFailed("too_many_attachments", field="fileIds", max=MAX_ATTACHMENTS)
    return await files.claim(
        db=db,
        actor=actor,
        file_ids=file_ids,
        institution_id=institution_id,
        purpose="attachment",
        field="fileIds",
    )


def attachment_rows(message: Message, stored: Sequence[StoredFile]) -> list[MessageAttachment]:
    return [
        MessageAttachment(
            message_id=message.id,
            file_id=f.id,
            institution_id=message.institution_id,
            position=position,
        )
        for position, f in enumerate(stored)
    ]


def attach(db: AsyncSession, message: Message, stored: Sequence[StoredFile]) -> None:
    db.add_all(attachment_rows(message, stored))


async def _forget_unshared(db: AsyncSession, message_ids: Sequence[uuid.UUID]) -> list[str]:
    """Delete the files carried only by these messages; the object keys to delete later."""
    if not message_ids:
        return []
    attached = select(MessageAttachment.file_id).where(
        MessageAttachment.message_id.in_(message_ids)
    )
    shared = (
        select(MessageAttachment.file_id)
        .where(
            MessageAttachment.file_id.in_(attached),
            MessageAttachment.message_id.not_in(message_ids),
        )
        .group_by(MessageAttachment.file_id)
    )
    rows = (
        await db.scalars(
            select(StoredFile).where(StoredFile.id.in_(attached), StoredFile.id.not_in(shared))
        )
    ).all()
    return await files.forget_files(db=db, files=rows)


async def forget_message_files(db: AsyncSession, message_id: uuid.UUID) -> list[str]:
    return await _forget_unshared(db, [message_id])


async def forget_thread_files(db: AsyncSession, thread_ids: Sequence[uuid.UUID]) -> list[str]:
    """Delete the file rows of these threads' messages; returns the object keys to delete
    after commit."""
    if not thread_ids:
        return []
    ids = list(
        (await db.scalars(select(Message.id).where(Message.thread_id.in_(thread_ids)))).all()
    )
    return await _forget_unshared(db, ids)
