"""Use cases of announcements (opslag): post, edit, delete, read, confirm, follow up."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.announcements.models import (
    Announcement,
    AnnouncementAttachment,
    AnnouncementChild,
    AnnouncementReceipt,
)
from app.announcements.policies import (
    can_edit,
    can_follow_up,
    can_post,
    visible_announcements,
)
from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.pagination import Page, paginate
from app.core.values import clean_name
from app.db import utcnow, write_transaction
from app.files.models import StoredFile
from app.files.service import uploads as files
from app.institutions.models import Child, Group, GuardianLink, Institution
from app.notifications.service import outbox as notifications
from app.storage import ObjectStorage

MAX_BODY = 10_000
MAX_ATTACHMENTS = 10


@dataclass(frozen=True)
class Posted:
    announcement: Announcement
    recipients: frozenset[uuid.UUID]


@dataclass
class ChildConfirmation:
    """One child of the audience: confirmed once any of its guardians confirmed."""

    child_id: uuid.UUID
    child_name: str
    guardians: list[GuardianConfirmation] = field(default_factory=list)

    @property
    def confirmed(self) -> bool:
        return any(g.confirmed_at is not None for g in self.guardians)


@dataclass(frozen=True)
class GuardianConfirmation:
    user_id: uuid.UUID
    name: str
    read_at: datetime | None
    confirmed_at: datetime | None


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
    digest_minutes: int = notifications.DEFAULT_DIGEST_MINUTES,
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
                digest_minutes=digest_minutes,
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
    *, db: AsyncSession, actor: Actor, storage: ObjectStorage, announcement_id: uuid.UUID
) -> None:
    """The author takes it back: receipts, audience and attachments go with it; the stored
    objects are deleted after the commit."""
    async with write_transaction(db):
        row = await _own(db, actor, announcement_id)
        keys = await forget_attachments(db, [row.id])
        await db.delete(row)
    await files.delete_objects(storage, keys)


async def _receipt(
    db: AsyncSession, actor: Actor, announcement_id: uuid.UUID
) -> AnnouncementReceipt:
    receipt = await db.get(AnnouncementReceipt, (announcement_id, actor.user_id))
    if receipt is None or receipt.institution_id not in actor.guardian_institutions:
        raise NotFound(field="announcementId")
    return receipt


async def mark_read(
    *, db: AsyncSession, actor: Actor, announcement_id: uuid.UUID
) -> AnnouncementReceipt:
    """The recipient opened it (idempotent: the first time counts)."""
    async with write_transaction(db):
        receipt = await _receipt(db, actor, announcement_id)
        receipt.read_at = receipt.read_at or utcnow()
    return receipt


async def confirm(
    *, db: AsyncSession, actor: Actor, announcement_id: uuid.UUID
) -> AnnouncementReceipt:
    """A guardian confirms ("set, read and understood"); confirming again changes nothing."""
    async with write_transaction(db):
        receipt = await _receipt(db, actor, announcement_id)
        if not receipt.needs_confirmation:
            raise Conflict("confirmation_not_requested", field="announcementId")
        now = utcnow()
        receipt.read_at = receipt.read_at or now
        receipt.confirmed_at = receipt.confirmed_at or now
    return receipt


async def announcements_page(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID | None = None,
    unread: bool = False,
    unconfirmed: bool = False,
    first: int | None = None,
    after: str | None = None,
) -> Page[Announcement]:
    """Newest first, as far as the actor may see them; `unread`/`unconfirmed` filter on the
    actor's own receipts (guardians), served by the receipts' partial indexes."""
    statement = select(Announcement).where(visible_announcements(actor))
    if institution_id is not None:
        statement = statement.where(Announcement.institution_id == institution_id)
    if unread or unconfirmed:
        statement = statement.join(
            AnnouncementReceipt,
            and_(
                AnnouncementReceipt.announcement_id == Announcement.id,
                AnnouncementReceipt.user_id == actor.user_id,
            ),
        )
        if unread:
            statement = statement.where(AnnouncementReceipt.read_at.is_(None))
        if unconfirmed:
            statement = statement.where(
                AnnouncementReceipt.needs_confirmation.is_(True),
                AnnouncementReceipt.confirmed_at.is_(None),
            )
    return await paginate(
        db,
        statement,
        order_by=[Announcement.created_at, Announcement.id],
        first=first,
        after=after,
        descending=True,
    )


async def confirmation_overview(
    *, db: AsyncSession, actor: Actor, announcement: Announcement
) -> list[ChildConfirmation] | None:
    """Per child of the audience: its guardians who received it, and who confirmed. One
    statement whatever the number of children; None for anyone but the staff."""
    if not can_follow_up(actor, announcement):
        return None
    rows = (
        await db.execute(
            select(
                Child.id,
                Child.first_name,
                Child.last_name,
                AnnouncementReceipt.user_id,
                User.name,
                AnnouncementReceipt.read_at,
                AnnouncementReceipt.confirmed_at,
            )
            .select_from(AnnouncementChild)
            .join(Child, Child.id == AnnouncementChild.child_id)
            .outerjoin(GuardianLink, GuardianLink.child_id == Child.id)
            .outerjoin(
                AnnouncementReceipt,
                and_(
                    AnnouncementReceipt.announcement_id == AnnouncementChild.announcement_id,
                    AnnouncementReceipt.user_id == GuardianLink.user_id,
                ),
            )
            .outerjoin(User, User.id == AnnouncementReceipt.user_id)
            .where(AnnouncementChild.announcement_id == announcement.id)
            .order_by(Child.first_name, Child.last_name, Child.id, User.name)
        )
    ).all()
    children: dict[uuid.UUID, ChildConfirmation] = {}
    for child_id, first_name, last_name, user_id, name, read_at, confirmed_at in rows:
        entry = children.setdefault(
            child_id, ChildConfirmation(child_id=child_id, child_name=f"{first_name} {last_name}")
        )
        if user_id is not None and all(g.user_id != user_id for g in entry.guardians):
            entry.guardians.append(
                GuardianConfirmation(
                    user_id=user_id, name=name or "", read_at=read_at, confirmed_at=confirmed_at
                )
            )
    return list(children.values())


async def receipt_counts(
    db: AsyncSession, announcement_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int, int]]:
    """(recipients, read, confirmed) per announcement, in one statement."""
    rows = (
        await db.execute(
            select(
                AnnouncementReceipt.announcement_id,
                func.count(),
                func.count(AnnouncementReceipt.read_at),
                func.count(AnnouncementReceipt.confirmed_at),
            )
            .where(AnnouncementReceipt.announcement_id.in_(announcement_ids))
            .group_by(AnnouncementReceipt.announcement_id)
        )
    ).all()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}
