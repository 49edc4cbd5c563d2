"""An institution's settings: typed, with defaults, validated, stored as JSON on the row.

A key the code does not know is ignored on read, so a rollback of the code never breaks on
a setting a newer version wrote."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import ACCESS_LOG_MIN_RETENTION_MONTHS
from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.db import write_transaction
from app.institutions.models import Institution
from app.institutions.policies import require_admin
from app.institutions.reads import InstitutionRow
from app.institutions.service.lookups import get_row

CHOICES: dict[str, tuple[str, ...]] = {
    "shared_inbox_sender_shown_to_guardians": ("group", "staff"),
    "photo_consent_default": ("none", "own_guardians", "group"),
}
RANGES: dict[str, tuple[int, int]] = {
    "pickup_change_cutoff_minutes": (0, 24 * 60),
    "message_retention_months": (1, 120),
    "photo_retention_months": (1, 120),
    "day_entry_retention_months": (1, 120),
    "attendance_retention_months": (1, 120),
    "pickup_retention_months": (1, 120),
    "child_record_retention_months": (1, 120),
    "audit_trail_retention_months": (1, 120),
    # Logs of the use of personal data are kept at least as long as the law asks.
    "access_log_retention_months": (ACCESS_LOG_MIN_RETENTION_MONTHS, 120),
    "sms_monthly_cap": (0, 100_000),
}


@dataclass(frozen=True)
class InstitutionSettings:
    # Attendance: changes to today's plan are allowed until this long before the pickup.
    pickup_change_cutoff_minutes: int = 60
    # Messaging: guardians of one group may start threads with each other.
    guardians_may_message_guardians: bool = False
    # Messaging: who guardians see as the sender of an answer from a shared inbox.
    shared_inbox_sender_shown_to_guardians: str = "group"
    message_retention_months: int = 24
    # Gallery: what a custody guardian's missing answer means.
    photo_consent_default: str = "own_guardians"
    # Gallery: the stricter reading of the Danish rules is the default.
    group_sharing_requires_consent: bool = True
    photo_retention_months: int = 6
    # Accounts: staff sign in with a second factor (TOTP); admins do unless turned off.
    # (Who must: app.institutions.service.second_factor.)
    require_second_factor_for_staff: bool = False
    require_second_factor_for_admins: bool = True
    # Notifications: urgent kinds (a child sent home, an incident) also go by SMS to guardians
    # with a phone number. Off unless the institution opts in: SMS costs money.
    urgent_sms_enabled: bool = False
    # At most this many SMS a calendar month (the institution's local month); over it an SMS
    # is given up ("monthly cap").
    sms_monthly_cap: int = 200
    # Retention (app.privacy.retention): months after a child's last day (`active_until`)
    # before its data of each kind go. Attendance is anonymised rather than deleted (the
    # statistics keep their counts); the child record's months also end the child's name.
    day_entry_retention_months: int = 12
    attendance_retention_months: int = 36
    pickup_retention_months: int = 1
    child_record_retention_months: int = 12
    # Months the access log of the institution is kept (never below the legal floor; the
    # server's SEDDEL_ACCESS_LOG_RETENTION_MONTHS is the least any institution keeps).
    access_log_retention_months: int = ACCESS_LOG_MIN_RETENTION_MONTHS
    # Months the audit trail of writes to the children's data is kept (app.privacy.audit),
    # counted from each write (a child under a legal hold keeps its rows).
    audit_trail_retention_months: int = 24
    # Announcements: a confirmation is consent-like, so a guardian without custody (right to
    # information only) may not give it for the child unless the institution allows it.
    custody_less_guardians_may_confirm: bool = False


FIELDS = {f.name: f for f in dataclasses.fields(InstitutionSettings)}


def settings_of(institution: Institution | InstitutionRow) -> InstitutionSettings:
    return settings_from(institution.settings)


def settings_from(stored: dict[str, Any] | None) -> InstitutionSettings:
    """The settings of a stored `institutions.settings` value (a read model selects the column)."""
    stored = stored or {}
    known = {k: v for k, v in stored.items() if k in FIELDS}
    return dataclasses.replace(InstitutionSettings(), **known)


async def institution_settings(db: AsyncSession, institution_id: uuid.UUID) -> InstitutionSettings:
    institution = await db.get(Institution, institution_id)
    return settings_of(institution) if institution is not None else InstitutionSettings()


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock moment `months` calendar months earlier (day clamped: 31 -> 30):
    what the settings' "retention months" mean."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


async def message_retention_cutoff(
    db: AsyncSession, institution_id: uuid.UUID, now: datetime
) -> datetime:
    """Messages and announcements older than this go (`message_retention_months` back)."""
    months = (await institution_settings(db, institution_id)).message_retention_months
    return months_before(now, months)


def _field(name: str) -> str:
    """Errors name the field as the clients spell it (camelCase), like every other error."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _validated(name: str, value: Any) -> Any:
    expected = type(getattr(InstitutionSettings(), name))
    # bool is an int in Python; neither may pass for the other here.
    if type(value) is not expected:
        raise ValidationFailed("invalid_setting", field=_field(name))
    if name in CHOICES and value not in CHOICES[name]:
        raise ValidationFailed("invalid_setting", field=_field(name))
    if name in RANGES:
        low, high = RANGES[name]
        if not low <= value <= high:
            raise ValidationFailed("setting_out_of_range", field=_field(name), low=low, high=high)
    return value


async def update_settings(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> Institution:
    """Admins change some settings; every change is validated before anything is written."""
    require_admin(actor, institution_id, field="institution")
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationFailed("invalid_setting", field=_field(sorted(unknown)[0]))
    clean = {name: _validated(name, value) for name, value in changes.items()}
    async with write_transaction(db):
        institution: Institution = await get_row(db, Institution, institution_id, "institution")
        # A new dict: SQLAlchemy tracks assignment of a JSON column, not mutation inside it.
        institution.settings = {**(institution.settings or {}), **clean}
    return institution
