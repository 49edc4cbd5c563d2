"""Phone numbers as an SMS gateway needs them: validated on input and stored in E.164
("+4520304050"), parsed by libphonenumber (`phonenumbers`) with Denmark as the region of a
number written without a country code."""

from __future__ import annotations

import phonenumbers

from app.core.errors import ValidationFailed

DEFAULT_REGION = "DK"


def e164(raw: str | None, *, field: str = "phone") -> str | None:
    """The number in E.164, None for no number; a number that is not a valid phone number
    anywhere is refused (INVALID_PHONE)."""
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationFailed("invalid_phone", field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("invalid_phone", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
