"""Checks of a daily-log entry before it is written: its day and times in the
institution's timezone, its details per kind and its note, and who gave a medication."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.childrecord.service.medication import consent_for_entry
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.daybook.service import kinds
from app.db import utcnow
from app.institutions.models import Institution, StaffMembership

# A tablet's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Place:
    """The child's institution, its timezone and today there."""

    institution_id: uuid.UUID
    tz: ZoneInfo
    today: date


async def place_of(db: AsyncSession, institution_id: uuid.UUID) -> Place:
    institution = await db.get(Institution, institution_id)
    assert institution is not None
    tz = ZoneInfo(institution.timezone)
    return Place(institution_id, tz, datetime.now(tz).date())


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def check_times(
    place: Place, *, day: date, at: datetime, ends_at: datetime | None, kind: str, field: str = ""
) -> None:
    """The day is not in the future; the times lie on that day in the institution's
    timezone and not ahead of now; a sleep ends after it starts."""
    if day > place.today:
        raise ValidationFailed("entry_day_in_future", field=f"{field}day")
    limit = utcnow() + CLOCK_SKEW
    for name, value in (("at", at), (f"details.{kind}.endsAt", ends_at)):
        if value is None:
            continue
        if value.tzinfo is None:
            raise ValidationFailed("time_without_zone", field=f"{field}{name}")
        if value.astimezone(place.tz).date() != day:
            raise ValidationFailed("time_not_on_day", field=f"{field}{name}", day=day.isoformat())
        if value > limit:
            raise ValidationFailed("time_in_future", field=f"{field}{name}")
    if ends_at is not None and ends_at < at:
        raise ValidationFailed("sleep_ends_before_start", field=f"{field}details.sleep.endsAt")


def clean_entry(
    kind: str, details: dict[str, Any], note: str, *, field: str = ""
) -> tuple[dict[str, Any], str]:
    """Details checked per kind (API names in errors) and the note trimmed."""
    try:
        cleaned = kinds.clean_details(kind, details, field="details")
    except ValidationFailed as error:
        if error.field and error.field.startswith("details."):
            key = error.field.removeprefix("details.")
            error.field = f"{field}details.{kind}.{camel(key)}"
        raise
    text = note.strip()
    if len(text) > kinds.MAX_NOTE:
        raise ValidationFailed("too_long", field=f"{field}note", max=kinds.MAX_NOTE)
    if kind == "note" and not cleaned["text"]:
        raise ValidationFailed("required", field=f"{field}details.note.text")
    return cleaned, text


async def resolve_given_by(
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    details: dict[str, Any],
    *,
    field: str = "",
) -> dict[str, Any]:
    """Medication: `given_by` comes in as a staff member's id (or not at all: the author) and
    is stored as that person's user id."""
    staff_id = details.get("given_by")
    if staff_id is None:
        return {**details, "given_by": str(actor.user_id)}
    user_id = await db.scalar(
        select(StaffMembership.user_id).where(
            StaffMembership.id == staff_id,
            StaffMembership.institution_id == institution_id,
            StaffMembership.is_active.is_(True),
        )
    )
    if user_id is None:
        raise NotFound(field=f"{field}details.medication.givenBy")
    return {**details, "given_by": str(user_id)}


async def take_consent(
    db: AsyncSession,
    *,
    child_id: uuid.UUID,
    day: date,
    at: datetime,
    details: dict[str, Any],
    field: str = "",
) -> tuple[dict[str, Any], str | None]:
    """Medication: the details without `consent_id`, and the id of the consent (of the child's
    record) the entry follows, checked to be the child's and in force when it was given. Kept out of
    clean_entry: the consent is one child's, so a group's bulk entry cannot name one."""
    rest = dict(details)
    consent_id = rest.pop("consent_id", None)
    if consent_id is None:
        return rest, None
    consent = await consent_for_entry(
        db,
        child_id=child_id,
        consent_id=consent_id,
        day=day,
        at=at,
        field=f"{field}details.medication.consentId",
    )
    return rest, str(consent.id)
