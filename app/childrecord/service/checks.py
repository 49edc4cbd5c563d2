"""Input rules of the record: texts trimmed and bounded, phone numbers plausible, a
medication period in order."""

from __future__ import annotations

import re
from datetime import date

from app.core.errors import ValidationFailed
from app.core.values import check_text, clean_name

PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")

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
    number = " ".join(check_text(value, field).split())
    if not number:
        if required:
            raise ValidationFailed("required", field=field)
        return ""
    if not PHONE.match(number):
        raise ValidationFailed("invalid_phone", field=field)
    return number


def period(valid_from: date, valid_until: date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed("period_order", field="validUntil")
