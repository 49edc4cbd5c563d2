"""The security matrix of issue 13's account operations: one's profile, e-mail and password
(a live session of one's own only: nobody reaches another's), and the link-token operations
(a reset, confirming a new address), which need no session and answer everyone alike: the
token is the credential, and a wrong one is the same typed error for every caller."""

from __future__ import annotations

from tests.helpers import SOLSIKKEN_ADMIN
from tests.security.matrix import (
    STRANGER_ADMIN,
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
)

METTE = "mette@example.com"


def _typename(field: str, expected: str):
    def check(payload):
        assert not payload.get("errors"), payload["errors"]
        assert payload["data"][field]["__typename"] == expected, payload["data"][field]

    return check


async def test_profile_operations_need_a_live_session(client):
    cases = [
        Case("UpdateMyProfile", {"input": {"name": "Ny Person"}}),
        Case("ChangeEmail", {"newEmail": "ny@example.com", "currentPassword": "seddel-demo"}),
        Case(
            "ChangePassword",
            {
                "currentPassword": "seddel-demo",
                "newPassword": "Solsikke-Himmel-42",
                "revokeOtherSessions": False,
            },
        ),
    ]
    await assert_unauthenticated(client, cases, await dead_sessions(client))
    me = await client.gql("Me", as_=METTE)
    assert me["me"]["name"] != "Ny Person" and me["me"]["email"] == METTE


async def test_a_profile_change_reaches_only_the_callers_own_account(client):
    mette = (await client.gql("Me", as_=METTE))["me"]
    for stranger in (*STRANGERS, SOLSIKKEN_ADMIN):
        changed = await client.gql(
            "UpdateMyProfile", {"input": {"name": "Udskiftet", "phone": "22345678"}}, as_=stranger
        )
        profile = changed["updateMyProfile"]
        assert profile["__typename"] == "MyProfile"
        assert profile["email"] == stranger and profile["id"] != mette["id"]
    assert (await client.gql("Me", as_=METTE))["me"] == mette


async def test_token_operations_answer_every_caller_alike(client, settings):
    # Five callers ask for the same address: more than its throttle lets through.
    before = settings.password_reset_max_per_address
    object.__setattr__(settings, "password_reset_max_per_address", 50)
    try:
        await _token_operations_answer_every_caller_alike(client)
    finally:
        object.__setattr__(settings, "password_reset_max_per_address", before)


async def _token_operations_answer_every_caller_alike(client):
    cases = [
        Case(
            "ResetPassword",
            {"token": "x" * 43, "newPassword": "Solsikke-Himmel-42"},
            _typename("resetPassword", "InvalidTokenError"),
        ),
        Case(
            "ConfirmEmailChange",
            {"token": "x" * 43},
            _typename("confirmEmailChange", "InvalidTokenError"),
        ),
        Case(
            "RequestPasswordReset",
            {"email": "nobody-at-all@example.com"},
            _typename("requestPasswordReset", "PasswordResetRequested"),
        ),
    ]
    await assert_refused(client, cases, [STRANGER_ADMIN, SOLSIKKEN_ADMIN])
    for token in await dead_sessions(client):
        for case in cases:
            payload = await client.execute(case.operation, case.variables, token=token)
            for check in case.expect:
                check(payload)
