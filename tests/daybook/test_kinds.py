"""The rules of each kind's details, below the API: nothing unknown ever reaches the JSON."""

from __future__ import annotations

import pytest

from app.core.errors import ValidationFailed
from app.daybook.service.kinds import changed_fields, clean_details


@pytest.mark.parametrize(
    ("kind", "details", "field"),
    [
        ("meal", {"meal": "lunch", "amount": "lots"}, "details.amount"),
        ("meal", {"meal": "lunch"}, "details.amount"),
        ("meal", {"meal": "lunch", "amount": "well", "spoon": "yes"}, "details.spoon"),
        ("mood", {"mood": "angry"}, "details.mood"),
        ("diaper", {"diaper": 1}, "details.diaper"),
        ("sleep", {"ends_at": "12:00"}, "details.ends_at"),
        ("party", {}, "details.kind"),
    ],
)
def test_unknown_or_missing_values_are_refused(kind, details, field):
    with pytest.raises(ValidationFailed) as refused:
        clean_details(kind, details)
    assert refused.value.field == field


def test_texts_are_trimmed_and_first_aid_may_be_left_out():
    assert clean_details("incident", {"description": "  Faldt "}) == {
        "description": "Faldt",
        "first_aid": "",
    }


def test_what_changed_names_the_fields():
    before = {"at": 1, "ends_at": None, "note": "", "details": {"meal": "lunch", "amount": "well"}}
    after = {**before, "note": "x", "details": {"meal": "lunch", "amount": "little"}}
    assert changed_fields(before, after) == ["note", "details.amount"]
    assert changed_fields(before, before) == []
