"""Input rules of the record: texts trimmed and bounded, phone numbers plausible, a
medication period in order."""

from __future__ import annotations

from datetime import date

from app.accounts.service.phones import e164
from app.core.errors import ValidationFailed
from app.core.values import check_text, clean_name

LIMITS = {
    "allergies": 2000,
    "diet": 2000,
    "doctorName": 200,
    "doctorPhone": 40,
    "staffNotes": 4000,
    "relation": 100,
    "instructions": 1000,
}


def text(value: str, field: str) -> str:
    """Trimmed; at most LIMITS[field] characters; may be empty."""
    cleaned = check_text(value, field).strip()
    if len(cleaned) > LIMITS[field]:
        raise ValidationFailed("too_long", field=field, max=LIMITS[field])
    return cleaned


def name(value: str, field: str, max_length: int) -> str:
    return clean_name(check_text(value, field), field, max_length)


def phone(value: str, field: str, *, required: bool) -> str:
    """The one phone rule of every phone typed in (E.164, Denmark when no country code)."""
    number = e164(check_text(value, field), field=field)
    if number is None:
        if required:
            raise ValidationFailed("required", field=field)
        return ""
    return number


def period(valid_from: date, valid_until: date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed("period_order", field="validUntil")
