"""The institution itself: its admins change its name, time zone, opening hours and closed
days; the system (seeding, municipality administration) sets up municipalities, institutions
and their first admin."""

from __future__ import annotations

import uuid
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import Conflict, ValidationFailed
from app.core.values import WEEKDAYS, clean_name
from app.db import TENANT_IDS, TENANT_USER, new_id, rescope, write_transaction
from app.institutions.models import AdminMembership, ClosedDay, Institution, Municipality
from app.institutions.policies import require_admin
from app.institutions.service.lookups import get_row, institution_today

# --- kept by its admins ----------------------------------------------------------------


def _opening_hours(value: dict[str, list[str]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for day, span in value.items():
        if day not in WEEKDAYS or len(span) != 2:
            raise ValidationFailed("invalid_opening_hours", field="openingHours")
        try:
            opens, closes = time.fromisoformat(span[0]), time.fromisoformat(span[1])
        except ValueError as exc:
            raise ValidationFailed("invalid_opening_hours", field="openingHours") from exc
        if closes <= opens:
            raise ValidationFailed("invalid_opening_hours", field="openingHours")
        result[day] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
    return result


async def update_institution(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    name: str | None = None,
    timezone: str | None = None,
    opening_hours: dict[str, list[str]] | None = None,
) -> Institution:
    """Rename an institution, change its time zone or opening hours (admins)."""
    require_admin(actor, institution_id, field="institutionId")
    async with write_transaction(db):
        institution: Institution = await get_row(db, Institution, institution_id, "institutionId")
        if name is not None:
            institution.name = clean_name(name, "name", 200)
        if timezone is not None:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValidationFailed("invalid_timezone", field="timezone") from exc
            institution.timezone = timezone
        if opening_hours is not None:
            institution.opening_hours = _opening_hours(opening_hours)
    return institution


async def closed_days(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, since: date | None
) -> list[ClosedDay]:
    """The institution's closed days from `since` (default: its today) on, for its people."""
    if institution_id not in actor.institution_ids:
        return []
    since = since or await institution_today(db, institution_id)
    rows = await db.scalars(
        select(ClosedDay)
        .where(ClosedDay.institution_id == institution_id, ClosedDay.day >= since)
        .order_by(ClosedDay.day)
    )
    return list(rows.all())


async def add_closed_day(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, day: date, reason: str = ""
) -> ClosedDay:
    """Mark a day closed (a planning day, the days between Christmas and New Year)."""
    require_admin(actor, institution_id, field="institutionId")
    async with write_transaction(db):
        clash = await db.scalar(
            select(ClosedDay.id).where(
                ClosedDay.institution_id == institution_id, ClosedDay.day == day
            )
        )
        if clash is not None:
            raise Conflict("closed_day_exists", field="day")
        closed = ClosedDay(institution_id=institution_id, day=day, reason=reason.strip()[:200])
        db.add(closed)
    return closed


async def remove_closed_day(*, db: AsyncSession, actor: Actor, closed_day_id: uuid.UUID) -> None:
    """Open a day again."""
    async with write_transaction(db):
        closed: ClosedDay = await get_row(db, ClosedDay, closed_day_id, "closedDayId")
        require_admin(actor, closed.institution_id, field="closedDayId")
        await db.delete(closed)


# --- set-up (the system, seeding and municipality administration) ------------------------


async def create_municipality(*, db: AsyncSession, name: str) -> Municipality:
    """System use: a municipality that owns institutions."""
    async with write_transaction(db):
        municipality = Municipality(name=clean_name(name, "name", 200))
        db.add(municipality)
    return municipality


async def create_institution(
    *,
    db: AsyncSession,
    municipality_id: uuid.UUID,
    name: str,
    kind: str = "",
    opening_hours: dict[str, list[str]] | None = None,
    institution_id: uuid.UUID | None = None,
) -> Institution:
    """System use: a new tenant. The session's scope is widened to it so RLS admits the row."""
    institution = Institution(
        id=institution_id or new_id(),
        municipality_id=municipality_id,
        name=clean_name(name, "name", 200),
        kind=kind,
        opening_hours=_opening_hours(opening_hours or {}),
        settings={},
    )
    scope_ids = set(db.info.get(TENANT_IDS, frozenset())) | {institution.id}
    await rescope(db, institution_ids=scope_ids, user_id=db.info.get(TENANT_USER))
    async with write_transaction(db):
        db.add(institution)
    return institution


async def grant_admin(
    *, db: AsyncSession, institution_id: uuid.UUID, user_id: uuid.UUID
) -> AdminMembership:
    """System use: make a user the administrator of an institution."""
    async with write_transaction(db):
        membership = AdminMembership(institution_id=institution_id, user_id=user_id)
        db.add(membership)
    return membership
