"""A federated login asks for the second factor as `login` does, unless its provider's own
login counts as it (OidcProvider.counts_as_second_factor, off by default): against the real
provider on 127.0.0.1, with real TOTP codes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from app.accounts.federation import service as federation
from app.accounts.federation.models import OidcProvider
from app.accounts.models import AuthSession, SecondFactorChallenge, User
from app.db import write_transaction
from tests.accounts.federation.conftest import add_provider
from tests.accounts.federation.flow import login_code, sign_in
from tests.accounts.second_factor_support import (
    PASSWORD,
    Authenticator,
    enrol,
    login,
    new_institution_with_admin,
    verify,
)

LEADER = "leder@maelkeboetten.example"  # admin of an institution that requires a second factor
GUARDIAN = "mette@example.com"  # the demo's guardian: nothing required, no authenticator


async def _linked(db: Any, oidc: Any, email: str, *, counts: bool) -> None:
    """The provider (counting as the second factor or not), its person-1 linked to `email`."""
    provider = await add_provider(db, oidc.issuer, counts_as_second_factor=counts)
    user = await db.scalar(select(User).where(User.email_key == email))
    assert user is not None
    async with write_transaction(db):
        await federation.link_identity_by_invitation(
            db=db, provider_id=provider.id, subject="person-1", user_id=user.id
        )


async def _counts(db: Any, counts: bool) -> None:
    """The operator changes the provider's setting (`seddel oidc-provider add`)."""
    async with write_transaction(db):
        await db.execute(update(OidcProvider).values(counts_as_second_factor=counts))


async def _federated(client: Any, document: str = "ExchangeLoginCodeWithSecondFactor") -> Any:
    """Sign in at the provider and trade the callback's code, as the app does."""
    code = login_code(await sign_in(client))
    data = await client.gql(document, {"code": code, "deviceLabel": "Leders iPhone"})
    return data["exchangeLoginCode"]


async def _enrolled_leader(client: Any, runtime: Any) -> Authenticator:
    """The admin of a new institution (admins must have a second factor there by default),
    enrolled through the session that only enrols their first password login gives them."""
    await new_institution_with_admin(runtime, LEADER)
    first = await login(client, LEADER, PASSWORD)
    assert first["__typename"] == "SecondFactorEnrolmentRequired", first
    app, _ = await enrol(client, first["token"])
    return app


async def _counted(db: Any, model: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)))


async def test_an_admin_with_an_authenticator_steps_up_after_a_single_factor_provider(
    client, db, runtime, oidc
):
    app = await _enrolled_leader(client, runtime)
    await _linked(db, oidc, LEADER, counts=False)
    sessions = await _counted(db, AuthSession)

    stepped = await _federated(client)
    assert stepped["__typename"] == "SecondFactorRequired", stepped
    assert "token" not in stepped and stepped["challenge"]
    assert await _counted(db, AuthSession) == sessions  # no session before the code
    # The code of the step the confirmation used is spent; the next one completes the login.
    done = await verify(client, stepped["challenge"], app.code(ahead=1))
    assert done["__typename"] == "LoginSuccess", done
    assert done["session"]["kind"] == "user"
    me = (await client.gql("Me", token=done["token"]))["me"]
    assert me["email"] == LEADER and me["institutions"][0]["roles"] == ["ADMIN"]

    # The apps' old document still runs: it learns a step-up is needed, and gets no token.
    old = await _federated(client, "ExchangeLoginCode")
    assert old == {"__typename": "SecondFactorRequired"}
    assert await _counted(db, AuthSession) == sessions + 1


async def test_an_admin_without_an_authenticator_gets_a_session_that_only_enrols(
    client, db, runtime, oidc
):
    await new_institution_with_admin(runtime, LEADER)
    await _linked(db, oidc, LEADER, counts=False)

    limited = await _federated(client)
    assert limited["__typename"] == "SecondFactorEnrolmentRequired", limited
    assert limited["session"]["kind"] == "enrolment"
    refused = await client.execute("Me", token=limited["token"])
    assert refused["errors"][0]["extensions"]["reason"] == "SECOND_FACTOR_ENROLMENT_REQUIRED"
    # Enrolling makes it an ordinary session, and the next federated login steps up.
    app, _ = await enrol(client, limited["token"])
    me = (await client.gql("Me", token=limited["token"]))["me"]
    assert me["institutions"][0]["roles"] == ["ADMIN"]
    stepped = await _federated(client)
    assert stepped["__typename"] == "SecondFactorRequired", stepped
    done = await verify(client, stepped["challenge"], app.code(ahead=1))
    assert done["__typename"] == "LoginSuccess", done


async def test_a_provider_that_counts_as_the_second_factor_gives_a_full_session(
    client, db, runtime, oidc
):
    await new_institution_with_admin(runtime, LEADER)
    await _linked(db, oidc, LEADER, counts=True)
    # Not enrolled, though required: the provider's own login is the second factor.
    full = await _federated(client)
    assert full["__typename"] == "LoginSuccess", full
    assert full["session"]["kind"] == "user"
    me = (await client.gql("Me", token=full["token"]))["me"]
    assert me["institutions"][0]["roles"] == ["ADMIN"]

    # Enrolled: still not asked again after such a provider, and no challenge is made.
    first = await login(client, LEADER, PASSWORD)
    await enrol(client, first["token"])
    challenges = await _counted(db, SecondFactorChallenge)
    again = await _federated(client)
    assert again["__typename"] == "LoginSuccess", again
    assert await _counted(db, SecondFactorChallenge) == challenges

    # The operator takes the trust back: the step-up returns with the next login.
    await _counts(db, False)
    assert (await _federated(client))["__typename"] == "SecondFactorRequired"


@pytest.mark.parametrize("counts", [False, True], ids=["single-factor", "multi-factor"])
async def test_a_guardian_gets_a_full_session_either_way(client, db, oidc, counts):
    await _linked(db, oidc, GUARDIAN, counts=counts)
    session = await _federated(client)
    assert session["__typename"] == "LoginSuccess", session
    assert session["session"]["kind"] == "user"
    me = (await client.gql("Me", token=session["token"]))["me"]
    assert me["email"] == GUARDIAN


async def test_a_stepped_up_exchange_runs_a_bounded_number_of_statements(
    client, db, runtime, oidc, assert_max_queries
):
    await _enrolled_leader(client, runtime)
    await _linked(db, oidc, LEADER, counts=False)
    code = login_code(await sign_in(client))
    # The throttles; the code with its user and its provider's setting (one join); spending
    # the code; the factor; the challenge.
    with assert_max_queries(5):
        data = await client.gql("ExchangeLoginCodeWithSecondFactor", {"code": code})
    assert data["exchangeLoginCode"]["__typename"] == "SecondFactorRequired"
