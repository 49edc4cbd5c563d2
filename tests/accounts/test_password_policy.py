"""The password rule: at least ten characters of any kind, and not guessable by zxcvbn (with
the person's own name and address among the words it tries); each refusal says why, in
Danish and English. Never a composition rule."""

from __future__ import annotations

import pytest

from app.accounts.service.auth import validate_new_password
from app.core.errors import ValidationFailed
from app.core.reasons import Reason

MINE = ("Mette Holm-Jensen", "mette@example.com")


def _refusal(password: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        validate_new_password(password, user_inputs=MINE)
    return refused.value


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", Reason.PASSWORD_TOO_SHORT),
        ("password1234", Reason.PASSWORD_COMMON),  # on zxcvbn's common-password list
        ("1234567890", Reason.PASSWORD_COMMON),
        ("Mette Holm-Jensen", Reason.PASSWORD_PERSONAL),  # the person's own name
        ("metteholm2", Reason.PASSWORD_PERSONAL),
        ("/*-+963.02", Reason.PASSWORD_KEYBOARD_PATTERN),  # a walk on the number pad
        ("qwertzuiopü", Reason.PASSWORD_COMMON),  # a keyboard row that is a common password
        ("xxxxxxxxxxxxxxxx", Reason.PASSWORD_REPEATS),
        ("abcdefghijklm", Reason.PASSWORD_SEQUENCE),
        ("19.05.1985", Reason.PASSWORD_DATE),
    ],
)
def test_a_guessable_password_is_refused_with_its_reason(password: str, reason: Reason) -> None:
    refusal = _refusal(password)
    assert refusal.reason is reason
    assert refusal.field == "newPassword"
    danish, english = refusal.message("da"), refusal.message("en")
    assert danish and english and danish != english


def test_the_reasons_are_said_in_danish_and_english() -> None:
    refusal = _refusal("password1234")
    assert refusal.message("da").startswith("Adgangskoden er en af de mest brugte")
    assert refusal.message("en").startswith("The password is (or resembles) one of the most")
    personal = _refusal("Mette Holm-Jensen")
    assert "dit navn eller din e-mailadresse" in personal.message("da")
    assert "your name or your email address" in personal.message("en")


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # lower-case words only: no composition rule
        "solsikke himmel tog",
        "æblegrød på en onsdag",  # any characters
        "Tr0ub4dor&3-not-really",
        "x" * 9 + "Q7!mZp#2vL",
    ],
)
def test_a_strong_password_passes_whatever_it_is_made_of(password: str) -> None:
    validate_new_password(password, user_inputs=MINE)


def test_a_long_password_is_judged_by_its_start_and_never_too_long_for_the_estimator() -> None:
    validate_new_password("Solsikke-Himmel-42 " * 50, user_inputs=MINE)  # 950 characters
    with pytest.raises(ValidationFailed) as refused:
        validate_new_password("y" * 2000)
    assert refused.value.reason is Reason.TOO_LONG


def test_other_callers_may_name_their_own_field() -> None:
    with pytest.raises(ValidationFailed) as refused:
        validate_new_password("password1234", field="password")
    assert refused.value.field == "password"


async def test_change_password_is_held_to_the_rule_through_the_api(client):
    weak = await client.gql(
        "ChangePassword",
        {"currentPassword": "seddel-demo", "newPassword": "Mette Holm-Jensen"},
        as_="mette@example.com",
    )
    assert weak["changePassword"]["reason"] == "PASSWORD_PERSONAL"
    assert "navn" in weak["changePassword"]["message"]  # Mette reads Danish
