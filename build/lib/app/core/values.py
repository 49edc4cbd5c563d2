"""Small value rules the slices share: how a name is cleaned, how weekdays are keyed."""

from __future__ import annotations

from app.core.errors import ValidationFailed

# Weekday keys of opening hours and weekly plans, Monday first (date.weekday() indexes them).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def clean_name(value: str, field: str, max_length: int = 100) -> str:
    """Whitespace collapsed; required and at most `max_length` characters."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValidationFailed("required", field=field)
    if len(cleaned) > max_length:
        raise ValidationFailed("too_long", field=field, max=max_length)
    return cleaned
