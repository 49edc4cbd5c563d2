"""Who sees, posts, edits and follows up announcements."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, or_, select

from app.announcements.models import Announcement, AnnouncementReceipt
from app.core.actor import Actor


def visible_announcements(actor: Actor) -> ColumnElement[bool]:
    """The institution's staff and admins see all of its announcements; a guardian sees the
    ones addressed to them (a receipt) while they still belong to that institution."""
    addressed = (
        select(AnnouncementReceipt.announcement_id)
        .where(
            AnnouncementReceipt.announcement_id == Announcement.id,
            AnnouncementReceipt.user_id == actor.user_id,
        )
        .correlate_except(AnnouncementReceipt)
        .exists()
    )
    return or_(
        Announcement.institution_id.in_(actor.employed_in),
        and_(Announcement.institution_id.in_(actor.guardian_institutions), addressed),
    )


def can_post(actor: Actor, institution_id: uuid.UUID) -> bool:
    """Staff and admins post in their own institution (to a group of it or all of it)."""
    return actor.works_in(institution_id)


def can_edit(actor: Actor, announcement: Announcement) -> bool:
    """Only the author, while they still work there."""
    return announcement.author_id == actor.user_id and actor.works_in(announcement.institution_id)


def can_follow_up(actor: Actor, announcement: Announcement) -> bool:
    """Who confirmed and who has not: the institution's staff and admins."""
    return actor.works_in(announcement.institution_id)
