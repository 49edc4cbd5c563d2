"""The nightly close: stays nobody checked out are closed with an estimated time, and listed
for staff to confirm or correct."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.events import DayChanged
from app.attendance.presence.models import Presence, PresenceEvent
from app.attendance.service import clock
from app.core import events
from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.db import new_id, rescope, utcnow, write_transaction
from app.institutions.calendar.service.days import early_closings
from app.institutions.models import Institution

log = logging.getLogger("seddel.presence")

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_CLOSING = time(17, 0)


def estimated_end(
    checked_in_at: datetime,
    institution: Institution,
    closes_early: Mapping[date, time] | None = None,
) -> datetime:
    """Closing time of the day the child came (or the end of that day, if it came later): on
    a day it closes early (`closes_early`, app.institutions.calendar), that time."""
    zone = ZoneInfo(institution.timezone)
    local = checked_in_at.astimezone(zone)
    hours = (institution.opening_hours or {}).get(WEEKDAYS[local.weekday()])
    closing = time.fromisoformat(hours[1]) if hours else DEFAULT_CLOSING
    early = (closes_early or {}).get(local.date())
    if early is not None:
        closing = min(closing, early)
    end = datetime.combine(local.date(), closing, tzinfo=zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return end.astimezone(checked_in_at.tzinfo)


async def close_forgotten_checkouts(
    *,
    db: AsyncSession,
    institution_id: uuid.UUID,
    now: datetime,
) -> int:
    """Close every stay of the institution still open from an earlier day (its local date);
    marks them estimated. A system job: scopes the session to the institution itself. After
    the commit, the groups' tablets and the guardians hear of each child."""
    await rescope(db, institution_ids={institution_id}, user_id=None)
    async with write_transaction(db):
        institution = await db.get(Institution, institution_id)
        if institution is None:
            return 0
        zone = ZoneInfo(institution.timezone)
        start_of_today = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
        rows = (
            await db.scalars(
                select(Presence)
                .where(
                    Presence.institution_id == institution_id,
                    Presence.checked_out_at.is_(None),
                    Presence.checked_in_at < start_of_today,
                )
                .with_for_update()
            )
        ).all()
        days = [p.checked_in_at.astimezone(zone).date() for p in rows]
        early = await early_closings(db, institution_id, min(days), max(days)) if days else {}
        for presence in rows:
            presence.checked_out_at = estimated_end(presence.checked_in_at, institution, early)
            presence.checkout_estimated = True
            db.add(
                PresenceEvent(
                    id=new_id(),
                    institution_id=institution_id,
                    child_id=presence.child_id,
                    kind="auto_close",
                    occurred_at=presence.checked_out_at,
                    recorded_at=now,
                    presence_id=presence.id,
                )
            )
            await events.record(
                db, DayChanged(presence.child_id, presence.group_id, "nightly_close", True)
            )
    if rows:
        log.info(
            "closed forgotten check-outs",
            extra={"institution_id": str(institution_id), "count": len(rows)},
        )
    return len(rows)


async def unconfirmed_checkouts(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID
) -> list[Presence]:
    """Stays the nightly job closed, for staff to confirm (oldest first)."""
    if not actor.works_in(institution_id) or actor.is_bare_device:
        return []
    rows = await db.scalars(
        select(Presence)
        .where(Presence.institution_id == institution_id, Presence.checkout_estimated.is_(True))
        .order_by(Presence.checked_in_at, Presence.id)
    )
    return list(rows.all())


async def confirm_checkout(
    *,
    db: AsyncSession,
    actor: Actor,
    presence_id: uuid.UUID,
    at: datetime | None = None,
) -> Presence:
    """Staff confirm an estimated check-out, or correct it to when the child really left;
    the group's tablets and the child's guardians hear of it after the commit."""
    async with write_transaction(db):
        presence = await db.get(Presence, presence_id)
        if presence is None or not actor.works_in(presence.institution_id) or actor.is_bare_device:
            raise NotFound(field="presenceId")
        if not presence.checkout_estimated:
            raise Conflict("checkout_not_estimated", field="presenceId")
        if at is not None:
            if at <= presence.checked_in_at:
                raise ValidationFailed("check_out_before_check_in", field="at")
            later = await db.scalar(
                select(Presence.checked_in_at)
                .where(
                    Presence.child_id == presence.child_id,
                    Presence.checked_in_at > presence.checked_in_at,
                )
                .order_by(Presence.checked_in_at)
                .limit(1)
            )
            if (later is not None and at > later) or at > clock.now():
                raise ValidationFailed("invalid_checkout_time", field="at")
            presence.checked_out_at = at
        presence.checkout_estimated = False
        presence.checked_out_by = actor.user_id
        db.add(
            PresenceEvent(
                id=new_id(),
                institution_id=presence.institution_id,
                child_id=presence.child_id,
                kind="confirm",
                occurred_at=presence.checked_out_at or clock.now(),
                recorded_at=utcnow(),
                recorded_by=actor.user_id,
                device_id=actor.device_id,
                presence_id=presence.id,
            )
        )
        await events.record(
            db, DayChanged(presence.child_id, presence.group_id, "presence", guardians=True)
        )
    return presence
