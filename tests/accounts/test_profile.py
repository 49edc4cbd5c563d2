"""One's own profile: name, phone and language; a new e-mail address confirmed by a link
mailed to it (the old address told); a new password, with or without ending the other
sessions."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import AccountToken
from tests.accounts.mail import deliver, token_in

METTE = "mette@example.com"
JONAS = "jonas@example.com"
NEW_ADDRESS = "mette.ny@example.com"


async def _update(client, **fields) -> dict:
    data = await client.gql("UpdateMyProfile", {"input": fields}, as_=METTE)
    return data["updateMyProfile"]


async def test_name_phone_and_language_change_and_me_shows_them(client):
    changed = await _update(client, name="  Mette   Holm ", phone="22 34 56 78")
    assert changed["name"] == "Mette Holm" and changed["phone"] == "+4522345678"
    assert changed["preferredLanguage"] == "da"
    english = await _update(client, preferredLanguage="en")
    assert english["name"] == "Mette Holm" and english["preferredLanguage"] == "en"
    me = (await client.gql("Me", as_=METTE))["me"]
    assert me["name"] == "Mette Holm" and me["preferredLanguage"] == "en"
    cleared = await _update(client, phone="")
    assert cleared["phone"] is None


async def test_bad_profile_input_is_refused_with_its_reason_and_changes_nothing(client):
    before = (await client.gql("Me", as_=METTE))["me"]
    cases = [
        ({"phone": "call me maybe"}, "INVALID_PHONE", "phone"),
        ({"phone": "+45 12 34 56 78"}, "INVALID_PHONE", "phone"),  # shaped like one, no such number
        ({"preferredLanguage": "sv"}, "INVALID_LANGUAGE", "preferredLanguage"),
        ({"name": "   "}, "REQUIRED", "name"),
        ({"name": "x" * 201}, "TOO_LONG", "name"),
        ({"name": "Mette", "phone": "nope"}, "INVALID_PHONE", "phone"),
    ]
    for fields, reason, field in cases:
        refused = await _update(client, **fields)
        assert (refused["__typename"], refused["reason"], refused["field"]) == (
            "ValidationError",
            reason,
            field,
        )
    assert (await client.gql("Me", as_=METTE))["me"] == before


async def _change_email(client, new_email: str, password: str = "seddel-demo") -> dict:
    data = await client.gql(
        "ChangeEmail", {"newEmail": new_email, "currentPassword": password}, as_=METTE
    )
    return data["changeEmail"]


async def test_a_new_address_is_confirmed_by_the_link_mailed_to_it_and_the_old_one_told(
    client, runtime
):
    assert (await _change_email(client, NEW_ADDRESS))["__typename"] == "EmailChangeRequested"
    assert (await client.gql("Me", as_=METTE))["me"]["email"] == METTE  # not yet
    (confirm,) = await deliver(runtime)
    assert confirm.to_address == NEW_ADDRESS
    assert confirm.subject == "Bekræft din nye e-mailadresse til Seddel"
    token = token_in(confirm)
    async with runtime.sessions() as db:
        stored = await db.scalar(select(AccountToken.token_hash))
    assert stored is not None and token not in stored

    confirmed = await client.gql("ConfirmEmailChange", {"token": token})
    assert confirmed["confirmEmailChange"]["email"] == NEW_ADDRESS
    (told,) = await deliver(runtime)
    assert told.to_address == METTE and NEW_ADDRESS in told.text
    assert "#token=" not in told.text

    login = await client.gql("Login", {"email": NEW_ADDRESS, "password": "seddel-demo"})
    assert login["login"]["__typename"] == "LoginSuccess"
    old = await client.gql("Login", {"email": METTE, "password": "seddel-demo"})
    assert old["login"]["__typename"] == "InvalidCredentialsError"
    again = await client.gql("ConfirmEmailChange", {"token": token})
    assert again["confirmEmailChange"]["__typename"] == "InvalidTokenError"


async def test_changing_the_address_needs_the_password_and_a_different_address(client, runtime):
    wrong = await _change_email(client, NEW_ADDRESS, password="not-my-password")
    assert (wrong["reason"], wrong["field"]) == ("WRONG_PASSWORD", "currentPassword")
    same = await _change_email(client, "METTE@example.com")
    assert (same["reason"], same["field"]) == ("EMAIL_UNCHANGED", "newEmail")
    bad = await _change_email(client, "not an address")
    assert bad["reason"] == "INVALID_EMAIL"
    assert await deliver(runtime) == []


async def test_an_address_taken_meanwhile_is_refused_on_confirming_and_nothing_changes(
    client, runtime
):
    await _change_email(client, JONAS)  # not told here: that would tell who has an account
    token = token_in((await deliver(runtime))[0])
    taken = (await client.gql("ConfirmEmailChange", {"token": token}))["confirmEmailChange"]
    assert (taken["__typename"], taken["reason"]) == ("ConflictError", "EMAIL_TAKEN")
    assert (await client.gql("Me", as_=METTE))["me"]["email"] == METTE


async def test_only_the_newest_address_request_can_be_confirmed(client, runtime):
    await _change_email(client, "first@example.com")
    await _change_email(client, NEW_ADDRESS)
    sent = await deliver(runtime)
    assert [m.to_address for m in sent] == [NEW_ADDRESS]  # the first link is never sent


async def test_change_password_ends_other_sessions_unless_asked_to_keep_them(client, runtime):
    phone = await client.token_for(METTE)
    tablet = (await client.gql("Login", {"email": METTE, "password": "seddel-demo"}))["login"]
    kept = await client.gql(
        "ChangePassword",
        {
            "currentPassword": "seddel-demo",
            "newPassword": "Solsikke-Himmel-42",
            "revokeOtherSessions": False,
        },
        token=phone,
    )
    assert kept["changePassword"]["__typename"] == "PasswordChanged"
    assert (await client.gql("Me", token=tablet["token"]))["me"]["email"] == METTE
    (told,) = await deliver(runtime)
    assert told.subject == "Din adgangskode til Seddel er ændret"

    ended = await client.gql(
        "ChangePassword",
        {"currentPassword": "Solsikke-Himmel-42", "newPassword": "Another-Fine-Phrase-77"},
        token=phone,
    )
    assert ended["changePassword"]["__typename"] == "PasswordChanged"
    payload = await client.execute("Me", token=tablet["token"])
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await client.gql("Me", token=phone))["me"]["email"] == METTE
