"""Announcements with a due date: a reminder to those who have not confirmed, the day before
(notification outbox, by the worker), and the staff's view of who is overdue."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.announcements.models import Announcement, AnnouncementChild, AnnouncementReceipt
from app.announcements.service.posting import announcement_link
from app.core.actor import Actor
from app.core.system_scope import institution_ids, institution_session
from app.db import utcnow, write_transaction
from app.institutions.models import Child, GuardianLink, Institution
from app.institutions.service.settings import settings_from
from app.notifications.service import outbox as notifications

log = logging.getLogger("seddel.announcements")

REMINDER = "announcement_reminder"


def _local_today(zone: str | None, now: datetime) -> date:
    return now.astimezone(ZoneInfo(zone or "Europe/Copenhagen")).date()


def _may_confirm(custody_less_may: bool) -> ColumnElement[bool]:
    """The receipt's holder may confirm (app.announcements.service.receipts._may_confirm, in
    SQL): a custody guardian of a child it was for, or anyone where the institution allows."""
    if custody_less_may:
        return true()
    return exists(
        select(GuardianLink.id)
        .join(
            AnnouncementChild,
            and_(
                AnnouncementChild.child_id == GuardianLink.child_id,
                AnnouncementChild.announcement_id == AnnouncementReceipt.announcement_id,
            ),
        )
        .where(
            GuardianLink.user_id == AnnouncementReceipt.user_id,
            GuardianLink.has_custody.is_(True),
        )
        .correlate(AnnouncementReceipt)
    )


async def remind_due(*, db: AsyncSession, institution_id: uuid.UUID, now: datetime) -> int:
    """Enqueue the reminders of the institution's announcements due tomorrow (in its own
    timezone; due today too, had the worker missed yesterday, never earlier): to each
    recipient who has not confirmed and may, once (the receipt's `reminded_at`). Returns how
    many people were reminded."""
    async with write_transaction(db):
        found = (
            await db.execute(
                select(Institution.timezone, Institution.settings).where(
                    Institution.id == institution_id
                )
            )
        ).one_or_none()
        if found is None:
            return 0
        zone, stored = found
        today = _local_today(zone, now)
        due = (
            await db.execute(
                select(
                    Announcement.id,
                    Announcement.title,
                    Announcement.is_sensitive,
                    AnnouncementReceipt.user_id,
                    User.name,
                )
                .join(AnnouncementReceipt, AnnouncementReceipt.announcement_id == Announcement.id)
                .join(User, User.id == Announcement.author_id)
                .where(
                    Announcement.institution_id == institution_id,
                    Announcement.requires_confirmation.is_(True),
                    Announcement.due_on >= today,
                    Announcement.due_on <= today + timedelta(days=1),
                    AnnouncementReceipt.needs_confirmation.is_(True),
                    AnnouncementReceipt.confirmed_at.is_(None),
                    AnnouncementReceipt.reminded_at.is_(None),
                    _may_confirm(settings_from(stored).custody_less_guardians_may_confirm),
                )
                .order_by(Announcement.id, AnnouncementReceipt.user_id)
            )
        ).all()
        if not due:
            return 0
        by_announcement: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in due:
            by_announcement[row.id].append(row)
        rows: list[dict[str, object]] = []
        for announcement_id, recipients in by_announcement.items():
            first = recipients[0]
            await notifications.enqueue(
                db=db,
                institution_id=institution_id,
                recipients={r.user_id for r in recipients},
                kind=REMINDER,
                subject_id=announcement_id,
                sender_name=first.name,
                link=announcement_link(announcement_id),
                preview=first.title,
                sensitive=first.is_sensitive,
                now=now,
                institution_zone=zone,
                into=rows,
            )
        await notifications.write_rows(db, rows)
        await db.execute(
            update(AnnouncementReceipt)
            .where(
                or_(
                    *(
                        and_(
                            AnnouncementReceipt.announcement_id == announcement_id,
                            AnnouncementReceipt.user_id.in_([r.user_id for r in recipients]),
                        )
                        for announcement_id, recipients in by_announcement.items()
                    )
                )
            )
            .values(reminded_at=now)
        )
    return len(due)


async def announcement_reminders_job(context: Any) -> int:
    """For `seddel worker`, hourly and idempotent (each person once per announcement): the
    first run of an institution's day before the due date reminds. `context` is
    app.ops.jobs.JobContext."""
    async with context.sessions() as db:
        ids = await institution_ids(db)
    reminded = 0
    for institution_id in ids:
        try:
            async with institution_session(context.sessions, institution_id) as db:
                reminded += await remind_due(db=db, institution_id=institution_id, now=context.now)
        except Exception:
            log.exception("announcement reminders failed for %s", institution_id)
    log.info("announcement reminders: %d people reminded", reminded)
    return reminded


@dataclass
class OverdueChild:
    child_id: uuid.UUID
    child_name: str
    # Those it went to who have not confirmed (none confirmed for the child).
    guardians: list[str] = field(default_factory=list)


@dataclass
class Overdue:
    announcement_id: uuid.UUID
    title: str
    due_on: date
    children: list[OverdueChild] = field(default_factory=list)


async def overdue_confirmations(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID
) -> list[Overdue]:
    """For the institution's staff: announcements past their due date and, per child no
    guardian has confirmed for, the guardians it went to. One statement besides the
    institution's timezone; empty for anyone else."""
    if not actor.works_in(institution_id):
        return []
    zone = await db.scalar(select(Institution.timezone).where(Institution.id == institution_id))
    today = _local_today(zone, utcnow())
    rows = (
        await db.execute(
            select(
                Announcement.id,
                Announcement.title,
                Announcement.due_on,
                Child.id.label("child_id"),
                Child.first_name,
                Child.last_name,
                User.name,
                AnnouncementReceipt.confirmed_at,
            )
            .join(AnnouncementChild, AnnouncementChild.announcement_id == Announcement.id)
            .join(Child, Child.id == AnnouncementChild.child_id)
            .outerjoin(GuardianLink, GuardianLink.child_id == Child.id)
            .outerjoin(
                AnnouncementReceipt,
                and_(
                    AnnouncementReceipt.announcement_id == Announcement.id,
                    AnnouncementReceipt.user_id == GuardianLink.user_id,
                ),
            )
            .outerjoin(User, User.id == AnnouncementReceipt.user_id)
            .where(
                Announcement.institution_id == institution_id,
                Announcement.requires_confirmation.is_(True),
                Announcement.due_on < today,
            )
            .order_by(
                Announcement.due_on.desc(),
                Announcement.id,
                Child.first_name,
                Child.last_name,
                Child.id,
                User.name,
            )
        )
    ).all()
    found: dict[uuid.UUID, Overdue] = {}
    children: dict[tuple[uuid.UUID, uuid.UUID], OverdueChild] = {}
    confirmed: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for row in rows:
        entry = found.setdefault(row.id, Overdue(row.id, row.title, row.due_on))
        key = (row.id, row.child_id)
        if key not in children:
            children[key] = OverdueChild(row.child_id, f"{row.first_name} {row.last_name}")
            entry.children.append(children[key])
        if row.confirmed_at is not None:
            confirmed.add(key)
        elif row.name is not None and row.name not in children[key].guardians:
            children[key].guardians.append(row.name)
    for entry in found.values():
        entry.children = [
            c for c in entry.children if (entry.announcement_id, c.child_id) not in confirmed
        ]
    return [entry for entry in found.values() if entry.children]
