"""Federated login against a real OpenID Connect provider on 127.0.0.1: start, sign in at the
provider, come back to the callback, trade the one-time code for a session; and every way the
provider's answer or the browser's can be wrong."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from app.accounts.federation import service as federation
from app.accounts.federation.models import FederatedIdentity, LoginCode, OidcLoginFlow
from app.accounts.models import AuthSession, User
from app.core.errors import Conflict, ValidationFailed
from app.db import write_transaction
from tests.accounts.federation.conftest import add_provider
from tests.accounts.federation.flow import at_provider, login_code, refusal, sign_in, start

METTE = "mette@example.com"


async def _user(db: Any, email: str) -> User:
    user = await db.scalar(select(User).where(User.email_key == email))
    assert user is not None
    return user


async def _linked(db: Any, oidc: Any, email: str = METTE, **options: Any) -> Any:
    """A provider row, and the provider's person-1 linked to `email` (as an invitation would)."""
    provider = await add_provider(db, oidc.issuer, **options)
    user = await _user(db, email)
    async with write_transaction(db):
        await federation.link_identity_by_invitation(
            db=db, provider_id=provider.id, subject="person-1", user_id=user.id
        )
    return provider


async def _exchange(client: Any, code: str) -> dict[str, Any]:
    data = await client.gql("ExchangeLoginCode", {"code": code, "deviceLabel": "Mettes iPhone"})
    result: dict[str, Any] = data["exchangeLoginCode"]
    return result


async def test_a_linked_person_signs_in_and_the_app_gets_a_session(client, db, oidc):
    await _linked(db, oidc)
    callback = await sign_in(client)
    code = login_code(callback)
    session = await _exchange(client, code)
    assert session["__typename"] == "LoginSuccess", session
    assert session["token"] not in callback.headers["location"]
    me = await client.gql("Me", token=session["token"])
    assert me["me"]["email"] == METTE
    # The code is single-use: a second exchange gets the one refusal, and no second session.
    again = await _exchange(client, code)
    assert again["reason"] == "LOGIN_CODE_INVALID" and again["retryable"] is False
    stored = (await db.scalars(select(LoginCode.code_hash))).all()
    assert code not in stored  # only its hash


async def test_the_flow_uses_pkce_state_and_nonce(client, db, oidc):
    await _linked(db, oidc)
    started = await start(client)
    params = started.headers["location"].split("?", 1)[1]
    for name in ("state=", "nonce=", "code_challenge=", "code_challenge_method=S256"):
        assert name in params, params
    assert "seddel_oidc_flow" in started.headers["set-cookie"]
    assert "HttpOnly" in started.headers["set-cookie"]


async def test_an_expired_login_code_is_refused(client, db, oidc, monkeypatch):
    await _linked(db, oidc)
    code = login_code(await sign_in(client))
    async with write_transaction(db):
        row = await db.scalar(select(LoginCode).where(LoginCode.used_at.is_(None)))
        row.expires_at = row.created_at
    assert (await _exchange(client, code))["reason"] == "LOGIN_CODE_INVALID"


@pytest.mark.parametrize(
    "override",
    [
        pytest.param({"nonce": "not-the-flows-nonce"}, id="wrong nonce"),
        pytest.param({"aud": "another-client"}, id="wrong audience"),
        pytest.param({"iss": "https://impostor.example"}, id="wrong issuer"),
        pytest.param({"exp": int(time.time()) - 3600}, id="expired"),
    ],
)
async def test_an_id_token_that_fails_a_check_is_refused(client, db, oidc, override):
    await _linked(db, oidc)
    oidc.token_overrides = override
    answer = await sign_in(client)
    assert refusal(answer, 422) == "OIDC_TOKEN_INVALID"
    assert answer.json()["detail"] == (
        "Svaret fra login-udbyderen kunne ikke godkendes."
    )  # Danish by default
    assert await db.scalar(select(func.count()).select_from(LoginCode)) == 0


async def test_a_rotated_key_is_fetched_once_and_accepted(client, db, oidc):
    await _linked(db, oidc)
    login_code(await sign_in(client))
    assert oidc.jwks_requests == 1
    oidc.rotate_key()  # the next token names a kid Seddel's cached key set does not have
    login_code(await sign_in(client))
    assert oidc.jwks_requests == 2
    login_code(await sign_in(client))
    assert oidc.jwks_requests == 2  # cached again


async def test_a_token_signed_with_an_unknown_key_is_refused(client, db, oidc):
    await _linked(db, oidc)
    oidc.sign_with_unpublished_key = True
    answer = await sign_in(client)
    assert refusal(answer, 422) == "OIDC_TOKEN_INVALID"
    assert oidc.jwks_requests == 2  # one refetch for the unknown kid, no more


async def test_an_unknown_subject_is_refused_and_no_account_is_made(client, db, oidc):
    await add_provider(db, oidc.issuer)
    oidc.person = {"sub": "stranger", "email": METTE, "email_verified": True, "name": "Mette"}
    users = await db.scalar(select(func.count()).select_from(User))
    answer = await client.http.get(
        await at_provider(await start(client)), headers={"Accept-Language": "en"}
    )
    assert refusal(answer, 422) == "OIDC_ACCOUNT_UNKNOWN"
    assert answer.json()["detail"].startswith("No Seddel account is linked to this login.")
    assert await db.scalar(select(func.count()).select_from(User)) == users
    assert await db.scalar(select(func.count()).select_from(FederatedIdentity)) == 0


async def test_a_verified_email_links_only_at_a_provider_trusted_for_it(client, db, oidc):
    await add_provider(db, oidc.issuer, trusts_email=True)
    oidc.person = {"sub": "mitid-42", "email": "METTE@example.com", "email_verified": False}
    assert refusal(await sign_in(client), 422) == "OIDC_ACCOUNT_UNKNOWN"  # not verified
    oidc.person = {"sub": "mitid-42", "email": METTE, "email_verified": True}
    session = await _exchange(client, login_code(await sign_in(client)))
    me = await client.gql("Me", token=session["token"])
    assert me["me"]["email"] == METTE
    identity = await db.scalar(select(FederatedIdentity))
    assert (identity.subject, identity.linked_by) == ("mitid-42", "verified_email")


async def test_a_state_that_is_not_this_browsers_is_refused(client, db, oidc):
    await _linked(db, oidc)
    callback = await at_provider(await start(client))
    made_up = callback.replace("state=", "state=x", 1)
    assert refusal(await client.http.get(made_up), 403) == "OIDC_STATE_INVALID"
    # The real state from another browser (no flow cookie): refused, and the flow is spent.
    client.http.cookies.clear()
    answer = await client.http.get(callback)
    assert refusal(answer, 403) == "OIDC_STATE_INVALID"
    assert answer.json()["detail"].startswith("Login-forsøget er ukendt")
    assert await db.scalar(select(func.count()).select_from(LoginCode)) == 0


async def test_a_replayed_callback_and_a_replayed_code_are_refused(client, db, oidc):
    await _linked(db, oidc)
    callback = await at_provider(await start(client))
    login_code(await client.http.get(callback))
    # The same callback again (state and code): the state is spent.
    assert refusal(await client.http.get(callback), 403) == "OIDC_STATE_INVALID"
    # The used code under a fresh state: the provider refuses it, so does Seddel.
    fresh = await at_provider(await start(client))
    old_code = callback.split("code=", 1)[1].split("&", 1)[0]
    fresh_state = fresh.split("state=", 1)[1].split("&", 1)[0]
    replay = f"/auth/oidc/test-idp/callback?code={old_code}&state={fresh_state}"
    assert refusal(await client.http.get(replay), 422) == "OIDC_CODE_REFUSED"
    assert await db.scalar(select(func.count()).select_from(LoginCode)) == 1


async def test_failed_callbacks_are_throttled_per_address(client, db, oidc, settings):
    await _linked(db, oidc)
    for _ in range(settings.login_max_failures_per_address):
        answer = await client.http.get("/auth/oidc/test-idp/callback?state=nope&code=x")
        assert answer.status_code == 403
    # Locked now: even a good login from this address waits.
    locked = await client.http.get(await at_provider(await start(client)))
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0


async def test_a_cpr_number_is_never_stored(client, db, oidc, connection):
    await _linked(db, oidc)
    cpr = "0101901234"
    oidc.person = {
        "sub": "person-1",
        "cpr": cpr,
        "dk:gov:saml:attribute:CprNumberIdentifier": cpr,
        "birthdate_and_number": "010190-1234",
    }
    login_code(await sign_in(client))
    assert federation.without_cpr({"a": {"cpr_number": cpr}, "b": "010190-1234", "c": 1}) == {
        "a": {},
        "c": 1,
    }
    tables = [FederatedIdentity, LoginCode, OidcLoginFlow, AuthSession, User]
    for table in tables:
        for row in (await db.execute(select(table.__table__))).all():
            # The number in either spelling; a bare "1234" would also match a timestamp.
            assert cpr not in repr(row) and "010190-1234" not in repr(row), (table, row)
    # A subject that is a CPR number is refused, not stored.
    oidc.person = {"sub": "0101901234"}
    assert refusal(await sign_in(client), 422) == "OIDC_SUBJECT_MISSING"
    with pytest.raises(ValidationFailed):
        await add_provider(db, oidc.issuer, slug="cpr-idp", subject_claim="cpr")


async def test_start_refuses_unknown_providers_and_foreign_return_addresses(client, db, oidc):
    await add_provider(db, oidc.issuer)
    assert refusal(await start(client, "nobody"), 404) == "NOT_FOUND"
    answer = await start(client, return_to="https://evil.example/steal")
    assert refusal(answer, 422) == "RETURN_URI_NOT_ALLOWED"


async def test_linking_by_invitation_is_one_identity_one_user(db, oidc):
    provider = (
        await add_provider(db, oidc.issuer)
    ).id  # ids: a refusal rolls back and expires rows
    mette, jonas = (await _user(db, METTE)).id, (await _user(db, "jonas@example.com")).id
    async with write_transaction(db):
        first = await federation.link_identity_by_invitation(
            db=db, provider_id=provider, subject="abc", user_id=mette
        )
        again = await federation.link_identity_by_invitation(
            db=db, provider_id=provider, subject="abc", user_id=mette
        )
        assert again.id == first.id and first.linked_by == "invitation"
    for subject, user in (("abc", jonas), ("other", mette)):
        with pytest.raises(Conflict):
            async with write_transaction(db):
                await federation.link_identity_by_invitation(
                    db=db, provider_id=provider, subject=subject, user_id=user
                )
    with pytest.raises(ValidationFailed):
        async with write_transaction(db):
            await federation.link_identity_by_invitation(
                db=db, provider_id=provider, subject="010190-1234", user_id=jonas
            )


async def test_a_login_the_provider_cancelled_is_refused(client, db, oidc):
    await _linked(db, oidc)
    callback = await at_provider(await start(client))
    state = callback.split("state=", 1)[1].split("&", 1)[0]
    cancelled = f"/auth/oidc/test-idp/callback?error=access_denied&state={state}"
    assert refusal(await client.http.get(cancelled), 422) == "OIDC_PROVIDER_REFUSED"


async def test_an_unreachable_provider_is_a_bad_gateway(client, db, oidc):
    from tests.accounts.federation.provider import _free_port

    await add_provider(db, f"http://127.0.0.1:{_free_port()}", slug="gone")
    answer = await start(client, "gone")
    assert refusal(answer, 502) == "OIDC_PROVIDER_UNAVAILABLE"


async def test_the_worker_forgets_flows_and_codes_whose_time_is_over(client, db, oidc):
    from datetime import timedelta

    from app.accounts.federation.service.codes import sweep_federated_logins
    from app.db import utcnow

    await _linked(db, oidc)
    code = login_code(await sign_in(client))
    await start(client)  # a flow never finished
    assert await sweep_federated_logins(db, now=utcnow()) == 0
    later = utcnow() + timedelta(hours=1)
    assert await sweep_federated_logins(db, now=later) == 3  # two flows, one code
    assert (await _exchange(client, code))["reason"] == "LOGIN_CODE_INVALID"
