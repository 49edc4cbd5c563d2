"""Posting announcements (opslag): the audience resolved once (receipts, children, outbox
rows), editing and deleting them with their attachments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.announcements.events import AnnouncementPosted
from app.announcements.models import (
    Announcement,
    AnnouncementAttachment,
    AnnouncementChild,
    AnnouncementReceipt,
)
from app.announcements.policies import (
    can_edit,
    can_post,
)
from app.core import events
from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.values import clean_name
from app.db import utcnow, write_transaction
from app.files.models import StoredFile
from app.files.service import uploads as files
from app.institutions.models import Child, Group, GuardianLink, Institution
from app.notifications.service import outbox as notifications

MAX_BODY = 10_000
MAX_ATTACHMENTS = 10


@dataclass(frozen=True)
class Posted:
    announcement: Announcement
    recipients: frozenset[uuid.UUID]


def announcement_link(announcement_id: uuid.UUID) -> str:
    """Where the apps open it; e-mails put the public URL in front."""
    return f"/announcements/{announcement_id}"


def _clean(title: str, body: str) -> tuple[str, str]:
    cleaned = clean_name(title, "title", 200)
    text = body.strip()
    if not text:
        raise ValidationFailed("required", field="body")
    if len(text) > MAX_BODY:
        raise ValidationFailed("too_long", field="body", max=MAX_BODY)
    return cleaned, text


async def _today(db: AsyncSession, institution_id: uuid.UUID) -> date:
    zone = await db.scalar(select(Institution.timezone).where(Institution.id == institution_id))
    return datetime.now(ZoneInfo(zone or "Europe/Copenhagen")).date()


async def _audience(
    db: AsyncSession,
    *,
    institution_id: uuid.UUID,
    group_id: uuid.UUID | None,
    sensitive: bool,
    today: date,
) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """(child, guardian user or None) for the active children addressed, in one statement.
    Guardians with access "none" never; "information only" ones unless it is sensitive."""
    levels = ("full",) if sensitive else ("full", "information")
    statement = (
        select(Child.id, GuardianLink.user_id)
        .outerjoin(
            GuardianLink,
            and_(GuardianLink.child_id == Child.id, GuardianLink.access.in_(levels)),
        )
        .where(
            Child.institution_id == institution_id,
            Child.active_from <= today,
            or_(Child.active_until.is_(None), Child.active_until >= today),
        )
    )
    if group_id is not None:
        statement = statement.where(Child.group_id == group_id)
    return [(row[0], row[1]) for row in (await db.execute(statement)).all()]


async def post_announcement(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    group_id: uuid.UUID | None,
    title: str,
    body: str,
    requires_confirmation: bool = False,
    due_on: date | None = None,
    is_sensitive: bool = False,
    attachment_ids: Sequence[uuid.UUID] = (),
) -> Posted:
    """Post to a group or the whole institution. The audience is resolved now: a receipt
    per guardian, the children it was for, and the notifications, in one transaction."""
    if not can_post(actor, institution_id):
        raise NotFound(field="institutionId")
    cleaned_title, text = _clean(title, body)
    if due_on is not None and not requires_confirmation:
        raise ValidationFailed("due_needs_confirmation", field="dueOn")
    if len(attachment_ids) > MAX_ATTACHMENTS:
        raise ValidationFailed("too_many_attachments", field="attachmentIds", max=MAX_ATTACHMENTS)
    async with write_transaction(db):
        if group_id is not None:
            group = await db.get(Group, group_id)
            if group is None or group.institution_id != institution_id:
                raise NotFound(field="groupId")
            if not group.is_active:
                raise Conflict("group_inactive", field="groupId")
        today = await _today(db, institution_id)
        if due_on is not None and due_on < today:
            raise ValidationFailed("due_in_past", field="dueOn")
        claimed = await files.claim(
            db=db,
            actor=actor,
            file_ids=attachment_ids,
            institution_id=institution_id,
            purpose="attachment",
            field="attachmentIds",
        )
        now = utcnow()
        announcement = Announcement(
            institution_id=institution_id,
            group_id=group_id,
            author_id=actor.user_id,
            title=cleaned_title,
            body=text,
            requires_confirmation=requires_confirmation,
            due_on=due_on,
            is_sensitive=is_sensitive,
            created_at=now,
            updated_at=now,
        )
        db.add(announcement)
        await db.flush()
        if claimed:
            await db.execute(
                insert(AnnouncementAttachment),
                [
                    {
                        "announcement_id": announcement.id,
                        "file_id": f.id,
                        "institution_id": institution_id,
                        "position": position,
                    }
                    for position, f in enumerate(claimed)
                ],
            )
        audience = await _audience(
            db,
            institution_id=institution_id,
            group_id=group_id,
            sensitive=is_sensitive,
            today=today,
        )
        children = sorted({child for child, _ in audience})
        recipients = frozenset(user for _, user in audience if user and user != actor.user_id)
        if children:
            await db.execute(
                insert(AnnouncementChild),
                [
                    {
                        "announcement_id": announcement.id,
                        "child_id": c,
                        "institution_id": institution_id,
                    }
                    for c in children
                ],
            )
        if recipients:
            await db.execute(
                insert(AnnouncementReceipt),
                [
                    {
                        "announcement_id": announcement.id,
                        "user_id": user_id,
                        "institution_id": institution_id,
                        "needs_confirmation": requires_confirmation,
                        "created_at": now,
                    }
                    for user_id in sorted(recipients)
                ],
            )
            await notifications.enqueue(
                db=db,
                institution_id=institution_id,
                recipients=recipients,
                kind="announcement",
                subject_id=announcement.id,
                sender_name=actor.name,
                link=announcement_link(announcement.id),
                preview=cleaned_title,
                sensitive=is_sensitive,
                now=now,
            )
        await events.record(
            db,
            AnnouncementPosted(
                announcement_id=announcement.id, recipients=tuple(sorted(recipients))
            ),
        )
    return Posted(announcement=announcement, recipients=recipients)


async def attached_files(
    db: AsyncSession, announcement_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, StoredFile]]:
    """(announcement id, file) in attachment order, for announcements already visible."""
    rows = await db.execute(
        select(AnnouncementAttachment.announcement_id, StoredFile)
        .join(StoredFile, StoredFile.id == AnnouncementAttachment.file_id)
        .where(AnnouncementAttachment.announcement_id.in_(announcement_ids))
        .order_by(AnnouncementAttachment.announcement_id, AnnouncementAttachment.position)
    )
    return [(announcement_id, file) for announcement_id, file in rows.all()]


async def forget_attachments(db: AsyncSession, announcement_ids: Sequence[uuid.UUID]) -> list[str]:
    """Inside the deleting transaction: the attachment rows and their files go; returns the
    object keys to delete after the commit."""
    if not announcement_ids:
        return []
    attached = [file for _, file in await attached_files(db, announcement_ids)]
    if not attached:
        return []
    await db.execute(
        delete(AnnouncementAttachment).where(
            AnnouncementAttachment.announcement_id.in_(announcement_ids)
        )
    )
    return await files.forget_files(db=db, files=attached)


async def _own(db: AsyncSession, actor: Actor, announcement_id: uuid.UUID) -> Announcement:
    row = await db.get(Announcement, announcement_id)
    if row is None or not can_edit(actor, row):
        raise NotFound(field="announcementId")
    return row


async def update_announcement(
    *,
    db: AsyncSession,
    actor: Actor,
    announcement_id: uuid.UUID,
    title: str | None = None,
    body: str | None = None,
    due_on: date | None = None,
    clear_due_on: bool = False,
) -> Announcement:
    """The author corrects the text or the due date; the audience stays as it was posted."""
    async with write_transaction(db):
        row = await _own(db, actor, announcement_id)
        new_title, new_body = _clean(
            row.title if title is None else title, row.body if body is None else body
        )
        if due_on is not None:
            if not row.requires_confirmation:
                raise ValidationFailed("due_needs_confirmation", field="dueOn")
            if due_on < await _today(db, row.institution_id):
                raise ValidationFailed("due_in_past", field="dueOn")
            row.due_on = due_on
        elif clear_due_on:
            row.due_on = None
        row.title, row.body = new_title, new_body
    return row


async def delete_announcement(
    *, db: AsyncSession, actor: Actor, announcement_id: uuid.UUID
) -> None:
    """The author takes it back: receipts, audience and attachments go with it; the stored
    objects are deleted after the commit."""
    async with write_transaction(db):
        row = await _own(db, actor, announcement_id)
        await files.release_after_commit(db, await forget_attachments(db, [row.id]))
        await db.delete(row)
