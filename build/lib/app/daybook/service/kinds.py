"""What each kind of entry holds, validated strictly: the JSON `details` of an entry only
ever contains the keys and values listed here."""

from __future__ import annotations

from typing import Any

from app.core.errors import ValidationFailed

MEALS = ("breakfast", "morning_snack", "lunch", "afternoon_snack", "other")
AMOUNTS = ("well", "some", "little", "nothing")
DIAPER = ("wet", "bm", "dry")
MOODS = ("happy", "content", "tired", "sad", "upset")
# An incident is one child's accident, with its own first aid and guardians to notify:
# never recorded in bulk.
BULK_KINDS = ("meal", "sleep", "diaper", "medication", "activity", "mood", "note")

# kind -> {key: allowed values (a tuple) or the longest text allowed (an int)}
SCHEMA: dict[str, dict[str, tuple[str, ...] | int]] = {
    "meal": {"meal": MEALS, "amount": AMOUNTS},
    "sleep": {},
    "diaper": {"diaper": DIAPER},
    "medication": {"medicine": 200, "dose": 100, "given_by": 36},
    "incident": {"description": 2000, "first_aid": 2000},
    "activity": {"description": 500},
    "mood": {"mood": MOODS},
    "note": {"text": 2000},
}
# Texts that may be empty; every other key is required.
OPTIONAL = {("incident", "first_aid")}
MAX_NOTE = 2000


def clean_details(kind: str, details: dict[str, Any], *, field: str = "details") -> dict[str, Any]:
    """The details of `kind`, checked and trimmed; anything unknown or missing is refused."""
    schema = SCHEMA.get(kind)
    if schema is None:
        raise ValidationFailed("invalid_entry_kind", field=f"{field}.kind")
    unknown = sorted(set(details) - set(schema))
    if unknown:
        raise ValidationFailed("unknown_entry_detail", field=f"{field}.{unknown[0]}")
    cleaned: dict[str, Any] = {}
    for key, rule in schema.items():
        value = details.get(key)
        if value is None and (kind, key) in OPTIONAL:
            value = ""
        if not isinstance(value, str):
            raise ValidationFailed("required", field=f"{field}.{key}")
        if isinstance(rule, tuple):
            if value not in rule:
                raise ValidationFailed("invalid_entry_value", field=f"{field}.{key}")
            cleaned[key] = value
            continue
        text = value.strip()
        if not text and (kind, key) not in OPTIONAL:
            raise ValidationFailed("required", field=f"{field}.{key}")
        if len(text) > rule:
            raise ValidationFailed("too_long", field=f"{field}.{key}", max=rule)
        cleaned[key] = text
    return cleaned


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of what differs between two snapshots (at, endsAt, note, details.<key>)."""
    names = []
    for key in ("at", "ends_at", "note"):
        if before.get(key) != after.get(key):
            names.append(key)
    old, new = before.get("details") or {}, after.get("details") or {}
    names.extend(f"details.{k}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k))
    return names
