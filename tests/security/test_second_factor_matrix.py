"""The security matrix of the second factor: its operations act on the caller's own
authenticator only, so an outsider (another institution's admin or staff member, a paired
device) holding someone's codes reaches nothing of theirs; dead sessions are
UNAUTHENTICATED; and a session that may only enrol reaches nothing else."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import SecondFactor
from tests.accounts.second_factor_support import (
    PASSWORD,
    enrol,
    login,
    new_institution_with_admin,
    verify,
)
from tests.helpers import SOLSIKKEN_ADMIN, institution_id
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    device_tokens,
)

VICTIM = "mette@example.com"


def refused_as(field: str, *typenames: str):
    def check(payload):
        assert not payload.get("errors"), payload["errors"]
        assert payload["data"][field]["__typename"] in typenames, payload

    return check


def not_enrolled(payload):
    assert payload["data"]["mySecondFactor"]["enrolled"] is False, payload


async def test_dead_sessions_are_unauthenticated(client):
    cases = [
        Case("MySecondFactor", {}),
        Case("EnrolSecondFactor", {}),
        Case("ConfirmSecondFactor", {"code": "123456"}),
        Case("RegenerateRecoveryCodes", {"code": "123456"}),
        Case("DisableSecondFactor", {"code": "123456"}),
    ]
    await assert_unauthenticated(client, cases, await dead_sessions(client))


async def test_outsiders_reach_nothing_of_someone_elses_factor(client, db):
    victim_token = await client.token_for(VICTIM)
    app, codes = await enrol(client, victim_token)
    challenge = (await login(client, VICTIM))["challenge"]
    cases = [
        Case("MySecondFactor", {}, not_enrolled),
        # The victim's own codes: they name the caller's factor, which is not there.
        Case(
            "DisableSecondFactor",
            {"code": codes[0]},
            refused_as("disableSecondFactor", "ValidationError", "NotFoundError"),
        ),
        Case(
            "RegenerateRecoveryCodes",
            {"code": app.code(ahead=1)},
            refused_as("regenerateRecoveryCodes", "ValidationError", "NotFoundError"),
        ),
        Case(
            "ConfirmSecondFactor",
            {"code": app.code(ahead=1)},
            refused_as("confirmSecondFactor", "ValidationError", "NotFoundError"),
        ),
        # A challenge is not a session: a made-up one completes nothing.
        Case(
            "VerifySecondFactor",
            {"challenge": "made-up", "code": codes[1]},
            refused_as("verifySecondFactor", "InvalidCredentialsError"),
        ),
    ]
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    await assert_refused(client, cases, STRANGERS, tokens=await device_tokens(client, iid))
    # The victim's factor and codes are as they were: both codes still complete a login.
    async with db as session:
        assert (await session.scalars(select(SecondFactor))).one().confirmed_at is not None
    assert (await verify(client, challenge, codes[0]))["__typename"] == "LoginSuccess"
    again = (await login(client, VICTIM))["challenge"]
    assert (await verify(client, again, app.code(ahead=1)))["__typename"] == "LoginSuccess"


async def test_a_session_that_must_enrol_reaches_nothing_else(client, runtime):
    email = "leder@maelkeboetten.example"
    await new_institution_with_admin(runtime, email)
    limited = (await login(client, email, PASSWORD))["token"]
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    for operation, variables in [
        ("Me", {}),
        ("MySessions", {}),
        ("SetPersonalPin", {"pin": "4711"}),
        ("RegenerateRecoveryCodes", {"code": "123456"}),
        ("DisableSecondFactor", {"code": "123456"}),
        ("InstitutionSecondFactorSettings", {"id": iid}),
    ]:
        payload = await client.execute(operation, variables, token=limited)
        errors = payload.get("errors") or [{}]
        assert (
            errors[0].get("extensions", {}).get("reason") == ("SECOND_FACTOR_ENROLMENT_REQUIRED")
            or (payload.get("data") or {}).get("node") is None
        ), (operation, payload)
    # What it may do: see its status, enrol, log out.
    status = (await client.gql("MySecondFactor", token=limited))["mySecondFactor"]
    assert status["required"] is True
    assert (await client.gql("Logout", token=limited))["logout"]["ok"] is True
    assert (await client.execute("MySecondFactor", token=limited))["errors"][0]["extensions"][
        "code"
    ] == "UNAUTHENTICATED"
