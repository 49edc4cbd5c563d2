"""Receipts of announcements: a guardian reads and confirms; the list filtered on one's own
receipts; the staff's follow-up per child."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.announcements.models import Announcement, AnnouncementChild, AnnouncementReceipt
from app.announcements.policies import can_follow_up, visible_announcements
from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.pagination import Page, paginate
from app.db import utcnow, write_transaction
from app.institutions.models import Child, GuardianLink
from app.institutions.service.settings import institution_settings


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


async def _receipt(
    db: AsyncSession, actor: Actor, announcement_id: uuid.UUID
) -> AnnouncementReceipt:
    receipt = await db.get(AnnouncementReceipt, (announcement_id, actor.user_id))
    if receipt is None or receipt.institution_id not in actor.guardian_institutions:
        raise NotFound(field="announcementId")
    return receipt


async def _may_confirm(db: AsyncSession, actor: Actor, receipt: AnnouncementReceipt) -> bool:
    """A confirmation is consent-like: given for a child of the audience the actor has custody
    of, or by a guardian without custody only where the institution allows it."""
    custody = [c.child_id for c in actor.children.values() if c.has_custody]
    if custody:
        found = await db.scalar(
            select(AnnouncementChild.child_id)
            .where(
                AnnouncementChild.announcement_id == receipt.announcement_id,
                AnnouncementChild.child_id.in_(custody),
            )
            .limit(1)
        )
        if found is not None:
            return True
    settings = await institution_settings(db, receipt.institution_id)
    return settings.custody_less_guardians_may_confirm


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
        if receipt.confirmed_at is None and not await _may_confirm(db, actor, receipt):
            raise ValidationFailed("confirmation_needs_custody", field="announcementId")
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
