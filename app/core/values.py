"""Small value rules the slices share: which characters text may hold, how a name is cleaned,
how weekdays are keyed."""

from __future__ import annotations

import re

from app.core.errors import ValidationFailed

# Weekday keys of opening hours and weekly plans, Monday first (date.weekday() indexes them).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# What no text input may hold: NUL (PostgreSQL cannot store it), lone surrogates (not
# characters; UTF-8 cannot encode them) and the Unicode non-characters U+FDD0-U+FDEF and
# U+xFFFE/U+xFFFF of every plane (reserved for a program's internal use, never interchanged).
FORBIDDEN_CHARACTERS = re.compile(
    "[\x00\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)


def allowed_text(value: str) -> bool:
    """False when `value` holds a character no text input may hold (FORBIDDEN_CHARACTERS)."""
    return FORBIDDEN_CHARACTERS.search(value) is None


def check_text(value: str, field: str) -> str:
    """`value` unchanged, or ValidationFailed("invalid_characters") naming `field`."""
    if not allowed_text(value):
        raise ValidationFailed("invalid_characters", field=field)
    return value


def clean_name(value: str, field: str, max_length: int = 100) -> str:
    """Whitespace collapsed; required and at most `max_length` characters."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValidationFailed("required", field=field)
    if len(cleaned) > max_length:
        raise ValidationFailed("too_long", field=field, max=max_length)
    return cleaned
