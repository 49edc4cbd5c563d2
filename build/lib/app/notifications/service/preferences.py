"""A user's own notification settings: push on or off, e-mail digests, quiet hours."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.db import write_transaction
from app.notifications.models import NotificationPreferences


@dataclass(frozen=True)
class Preferences:
    push_enabled: bool = True
    email_digest_enabled: bool = True
    quiet_start: time | None = None
    quiet_end: time | None = None
    timezone: str | None = None

    @classmethod
    def of(cls, row: NotificationPreferences | None) -> Preferences:
        if row is None:
            return cls()
        return cls(
            push_enabled=row.push_enabled,
            email_digest_enabled=row.email_digest_enabled,
            quiet_start=row.quiet_start,
            quiet_end=row.quiet_end,
            timezone=row.timezone,
        )


def quiet_hours_end(
    now: datetime, start: time | None, end: time | None, timezone: str
) -> datetime | None:
    """When the quiet hours that `now` falls in end (UTC), or None when it is not quiet.
    Quiet hours are local wall-clock times and may span midnight (21:00–07:00)."""
    if start is None or end is None or start == end:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        quiet, end_day = start <= clock < end, local.date()
    elif clock >= start:
        quiet, end_day = True, local.date() + timedelta(days=1)
    else:
        quiet, end_day = clock < end, local.date()
    if not quiet:
        return None
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(now.tzinfo)


async def preferences_of(
    db: AsyncSession, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Preferences]:
    if not user_ids:
        return {}
    rows = await db.scalars(
        select(NotificationPreferences).where(NotificationPreferences.user_id.in_(user_ids))
    )
    found = {row.user_id: Preferences.of(row) for row in rows.all()}
    return {user_id: found.get(user_id, Preferences()) for user_id in user_ids}


async def my_preferences(*, db: AsyncSession, actor: Actor) -> Preferences:
    return (await preferences_of(db, [actor.user_id]))[actor.user_id]


async def update_preferences(
    *,
    db: AsyncSession,
    actor: Actor,
    push_enabled: bool | None = None,
    email_digest_enabled: bool | None = None,
    quiet_hours: tuple[time, time] | None = None,
    clear_quiet_hours: bool = False,
    timezone: str | None = None,
) -> Preferences:
    """Change the actor's own notification settings (only their own: there is no user id)."""
    if quiet_hours is not None and quiet_hours[0] == quiet_hours[1]:
        raise ValidationFailed("quiet_hours_empty", field="quietHours")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationFailed("invalid_timezone", field="timezone") from exc
    async with write_transaction(db):
        row = await db.get(NotificationPreferences, actor.user_id)
        if row is None:
            row = NotificationPreferences(
                user_id=actor.user_id,
                push_enabled=True,
                email_digest_enabled=True,
            )
            db.add(row)
        if push_enabled is not None:
            row.push_enabled = push_enabled
        if email_digest_enabled is not None:
            row.email_digest_enabled = email_digest_enabled
        if clear_quiet_hours:
            row.quiet_start = row.quiet_end = None
        elif quiet_hours is not None:
            row.quiet_start, row.quiet_end = quiet_hours
        if timezone is not None:
            row.timezone = timezone or None
    return Preferences.of(row)
