"""Two factors: enrolment with a provisioning URI, confirmation, recovery codes, the step-up
at login, no replay, throttling like passwords, who must enrol, turning it off, and tablets
that keep their own PIN flow."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pyotp
from sqlalchemy import func, select, update

from app.accounts.models import AuthSession, RecoveryCode, SecondFactor, SecondFactorChallenge
from app.accounts.service.second_factor import matching_step, unseal
from app.db import utcnow
from app.institutions.service.settings import InstitutionSettings
from tests.accounts.second_factor_support import (
    PASSWORD,
    Authenticator,
    enrol,
    login,
    new_institution_with_admin,
    verify,
)
from tests.attendance.presence_support import pair, set_pin, switch_in
from tests.helpers import SOLSIKKEN_ADMIN, institution_id

GUARDIAN = "mette@example.com"
STAFF = "pernille@solsikken.example"


async def enrolled_guardian(client):
    token = await client.token_for(GUARDIAN)
    app, codes = await enrol(client, token)
    return token, app, codes


async def test_a_guardian_enrols_voluntarily_and_the_secret_never_comes_back(client, db, settings):
    token = await client.token_for(GUARDIAN)
    started = (await client.gql("EnrolSecondFactor", token=token))["enrolSecondFactor"]
    assert started["provisioningUri"].startswith("otpauth://totp/Seddel:")
    assert "issuer=Seddel" in started["provisioningUri"]
    app = Authenticator(started["provisioningUri"])
    assert app.totp.secret == started["secret"]

    wrong = (await client.gql("ConfirmSecondFactor", {"code": "000000"}, token=token))[
        "confirmSecondFactor"
    ]
    if wrong["__typename"] != "InvalidCredentialsError":  # 1 in 10^6: 000000 was right
        return
    assert wrong["field"] == "code"
    status = (await client.gql("MySecondFactor", token=token))["mySecondFactor"]
    assert status == {
        "enrolled": False,
        "confirmedAt": None,
        "recoveryCodesLeft": 0,
        "required": False,
    }

    confirmed = (await client.gql("ConfirmSecondFactor", {"code": app.code()}, token=token))[
        "confirmSecondFactor"
    ]
    codes = confirmed["recoveryCodes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    status = (await client.gql("MySecondFactor", token=token))["mySecondFactor"]
    assert status["enrolled"] and status["recoveryCodesLeft"] == 10
    assert "secret" not in str(status)

    async with db as session:
        factor = (await session.scalars(select(SecondFactor))).one()
        assert app.totp.secret not in factor.secret_encrypted
        assert unseal(settings, factor.user_id, factor.secret_encrypted) == app.totp.secret
        hashes = (await session.scalars(select(RecoveryCode.code_hash))).all()
        assert not set(hashes) & set(codes)
    # Once on, enrolling again is refused until it is turned off.
    again = (await client.gql("EnrolSecondFactor", token=token))["enrolSecondFactor"]
    assert again["__typename"] == "ConflictError"


async def test_login_steps_up_and_a_used_code_is_refused(client, db):
    _, app, _ = await enrolled_guardian(client)
    async with db as session:
        sessions_before = await session.scalar(select(func.count()).select_from(AuthSession))

    # The apps' old Login document still runs: it learns a second factor is needed, no token.
    old = (await client.gql("Login", {"email": GUARDIAN, "password": "seddel-demo"}))["login"]
    assert old == {"__typename": "SecondFactorRequired"}

    stepped = await login(client, GUARDIAN)
    assert stepped["__typename"] == "SecondFactorRequired"
    assert "token" not in stepped
    async with db as session:
        assert await session.scalar(select(func.count()).select_from(AuthSession)) == (
            sessions_before
        )
    # The code of the step the confirmation used is spent: a replay.
    replay = await verify(client, stepped["challenge"], app.confirmed)
    assert replay["__typename"] == "InvalidCredentialsError"
    assert replay["field"] == "code"
    used = app.code(ahead=1)
    done = await verify(client, stepped["challenge"], used)
    assert done["__typename"] == "LoginSuccess" and done["session"]["kind"] == "user"
    me = (await client.gql("Me", token=done["token"]))["me"]
    assert me["email"] == GUARDIAN

    # The same code again, in another login: the same time step, refused.
    second = await login(client, GUARDIAN)
    refused = await verify(client, second["challenge"], used)
    assert refused["__typename"] == "InvalidCredentialsError"


async def test_a_challenge_is_single_use_and_short_lived(client, db):
    _, app, codes = await enrolled_guardian(client)
    stepped = await login(client, GUARDIAN)
    assert (await verify(client, stepped["challenge"], app.code(ahead=1)))[
        "__typename"
    ] == "LoginSuccess"
    spent = await verify(client, stepped["challenge"], codes[0])
    assert spent["__typename"] == "InvalidCredentialsError" and spent["field"] == "challenge"

    stale = await login(client, GUARDIAN)
    async with db as session:
        await session.execute(
            update(SecondFactorChallenge)
            .where(SecondFactorChallenge.used_at.is_(None))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    expired = await verify(client, stale["challenge"], codes[0])
    assert expired["__typename"] == "InvalidCredentialsError" and expired["field"] == "challenge"
    made_up = await verify(client, "made-up", codes[0])
    assert made_up["field"] == "challenge"
    # The recovery code was not spent by the refusals.
    assert (await verify(client, (await login(client, GUARDIAN))["challenge"], codes[0]))[
        "__typename"
    ] == "LoginSuccess"


async def test_recovery_codes_work_once_and_can_be_renewed(client):
    token, app, codes = await enrolled_guardian(client)
    first = await login(client, GUARDIAN)
    done = await verify(client, first["challenge"], codes[3].upper().replace("-", " "))
    assert done["__typename"] == "LoginSuccess"
    again = await verify(client, (await login(client, GUARDIAN))["challenge"], codes[3])
    assert again["__typename"] == "InvalidCredentialsError"
    status = (await client.gql("MySecondFactor", token=token))["mySecondFactor"]
    assert status["recoveryCodesLeft"] == 9

    renewed = (
        await client.gql("RegenerateRecoveryCodes", {"code": app.code(ahead=1)}, token=token)
    )["regenerateRecoveryCodes"]
    assert renewed["__typename"] == "RecoveryCodesRegenerated"
    assert not set(renewed["recoveryCodes"]) & set(codes)
    old_code = await verify(client, (await login(client, GUARDIAN))["challenge"], codes[4])
    assert old_code["__typename"] == "InvalidCredentialsError"


async def test_wrong_codes_are_throttled_like_passwords(client, settings):
    _, app, _ = await enrolled_guardian(client)
    stepped = await login(client, GUARDIAN)
    answers = [
        (await verify(client, stepped["challenge"], "12345x"))["__typename"]
        for _ in range(settings.login_max_failures)
    ]
    assert answers == ["InvalidCredentialsError"] * settings.login_max_failures
    locked = await verify(client, stepped["challenge"], app.code(ahead=1))
    assert locked["__typename"] == "TooManyAttemptsError" and locked["retryAfterSeconds"] > 0


async def test_turning_it_off_needs_a_code(client):
    token, app, codes = await enrolled_guardian(client)
    wrong = (await client.gql("DisableSecondFactor", {"code": "nope"}, token=token))[
        "disableSecondFactor"
    ]
    assert wrong["__typename"] == "InvalidCredentialsError"
    off = (await client.gql("DisableSecondFactor", {"code": codes[0]}, token=token))[
        "disableSecondFactor"
    ]
    assert off["__typename"] == "SecondFactorDisabled"
    assert (await login(client, GUARDIAN))["__typename"] == "LoginSuccess"
    not_on = (await client.gql("DisableSecondFactor", {"code": app.code()}, token=token))[
        "disableSecondFactor"
    ]
    assert not_on["__typename"] == "ValidationError"


async def test_admins_must_enrol_by_default_with_a_session_that_only_enrols(client, runtime):
    assert InstitutionSettings().require_second_factor_for_admins is True
    assert InstitutionSettings().require_second_factor_for_staff is False
    email = "leder@maelkeboetten.example"
    await new_institution_with_admin(runtime, email)

    first = await login(client, email, PASSWORD)
    assert first["__typename"] == "SecondFactorEnrolmentRequired"
    assert first["session"]["kind"] == "enrolment"
    limited = first["token"]
    refused = await client.execute("Me", token=limited)
    extensions = refused["errors"][0]["extensions"]
    assert extensions["code"] == "FORBIDDEN"
    assert extensions["reason"] == "SECOND_FACTOR_ENROLMENT_REQUIRED"
    status = (await client.gql("MySecondFactor", token=limited))["mySecondFactor"]
    assert status["required"] is True and status["enrolled"] is False

    app, codes = await enrol(client, limited)
    # Confirming made the same session an ordinary one.
    me = (await client.gql("Me", token=limited))["me"]
    assert me["institutions"][0]["roles"] == ["ADMIN"]
    # Required: it cannot be turned off.
    kept = (await client.gql("DisableSecondFactor", {"code": codes[0]}, token=limited))[
        "disableSecondFactor"
    ]
    assert kept["__typename"] == "ValidationError"
    assert "totrinsbekræftelse" in kept["message"]
    # Every later login steps up.
    stepped = await login(client, email, PASSWORD)
    assert stepped["__typename"] == "SecondFactorRequired"
    assert (await verify(client, stepped["challenge"], app.code(ahead=1)))[
        "__typename"
    ] == "LoginSuccess"


async def test_staff_must_enrol_where_the_institution_says_so(client):
    assert (await login(client, STAFF))["__typename"] == "LoginSuccess"
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    changed = (
        await client.gql(
            "UpdateInstitutionSettings",
            {"institution": iid, "input": {"requireSecondFactorForStaff": True}},
            as_=SOLSIKKEN_ADMIN,
        )
    )["updateInstitutionSettings"]
    assert changed["__typename"] == "Institution"
    shown = await client.gql("InstitutionSecondFactorSettings", {"id": iid}, as_=SOLSIKKEN_ADMIN)
    assert shown["node"]["settings"] == {
        "requireSecondFactorForStaff": True,
        "requireSecondFactorForAdmins": False,  # the demo turns it off for its printed logins
    }
    assert (await login(client, STAFF))["__typename"] == "SecondFactorEnrolmentRequired"
    # Guardians of the same institution are not asked.
    assert (await login(client, GUARDIAN))["__typename"] == "LoginSuccess"
    # The existing session of the admin is unaffected; the admin's login too.
    assert (await login(client, SOLSIKKEN_ADMIN))["__typename"] == "LoginSuccess"


async def test_tablets_keep_their_own_pin_flow(client):
    await set_pin(client, STAFF, "4711")
    staff_token = await client.token_for(STAFF)
    app, _ = await enrol(client, staff_token)
    assert (await login(client, STAFF))["__typename"] == "SecondFactorRequired"
    tablet = await pair(client, "STAFF_TABLET", "Bjørnene tablet")
    switched = await switch_in(client, tablet["token"], "Pernille Holm", "4711")
    assert switched["__typename"] == "TabletUserSwitched"
    # On a tablet the person's authenticator is out of reach.
    on_tablet = (await client.gql("EnrolSecondFactor", token=switched["token"]))[
        "enrolSecondFactor"
    ]
    assert on_tablet["__typename"] == "NotFoundError"
    # The person's own logins still step up.
    stepped = await login(client, STAFF)
    assert (await verify(client, stepped["challenge"], app.code(ahead=1)))[
        "__typename"
    ] == "LoginSuccess"


def test_codes_match_only_their_window():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = utcnow()
    step = totp.timecode(now)
    assert matching_step(secret, totp.generate_otp(step), now) == step
    assert matching_step(secret, totp.generate_otp(step + 1), now) == step + 1
    assert matching_step(secret, totp.generate_otp(step - 1), now) == step - 1
    assert matching_step(secret, totp.generate_otp(step + 2), now) is None
    assert matching_step(secret, "abc", now) is None


async def test_expired_challenges_are_swept(client, db, runtime, settings):
    from app.ops.jobs import JobContext
    from app.root.jobs import PERIODIC_JOBS

    await enrolled_guardian(client)
    await login(client, GUARDIAN)
    await login(client, GUARDIAN)
    job = next(j for j in PERIODIC_JOBS if j.name == "second-factor-challenges")
    context = JobContext(
        sessions=runtime.sessions, storage=runtime.storage, settings=settings, now=utcnow()
    )
    assert await job.run(context) == 0  # both are still valid
    later = dataclasses.replace(context, now=utcnow() + timedelta(minutes=6))
    assert await job.run(later) == 2
    async with db as session:
        count = await session.scalar(select(func.count()).select_from(SecondFactorChallenge))
        assert count == 0


async def test_a_login_with_a_second_factor_runs_a_bounded_number_of_statements(
    client, assert_max_queries
):
    _, app, _ = await enrolled_guardian(client)
    # The throttles, the user, clearing the address's failures, the factor, the challenge.
    with assert_max_queries(5):
        stepped = await login(client, GUARDIAN)
    # The challenge with its user and factor, the throttles, spending the code, clearing the
    # person's failures, spending the challenge, the session.
    with assert_max_queries(6):
        done = await verify(client, stepped["challenge"], app.code(ahead=1))
    assert done["__typename"] == "LoginSuccess"
