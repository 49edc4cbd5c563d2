"""Accepting an invitation by signing in with the municipality's identity provider, against
the real provider on 127.0.0.1: `startInvitationLogin` (the token in its body, once) → the
start address's single-use hand-off in the browser → the provider → the callback spends the
invitation, links the identity and hands the app a login code → `exchangeLoginCode`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from app.accounts.federation import service as federation
from app.accounts.federation.models import FederatedIdentity, LoginCode, OidcLoginFlow
from app.accounts.models import Invitation, User
from app.accounts.service import invitations
from app.core.system_scope import all_institutions_session
from app.db import utcnow, write_transaction
from app.institutions.models import Institution, Municipality
from tests.accounts.federation.conftest import SECRET_ENV
from tests.accounts.federation.flow import at_provider, login_code, refusal
from tests.accounts.federation.provider import CLIENT_ID
from tests.accounts.second_factor_support import enrol, verify
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, group_id, institution_id

SOFIE = "sofie@solsikken.example"


async def _invited(
    client: Any,
    runtime: Any,
    email: str = SOFIE,
    *,
    admin: str = SOLSIKKEN_ADMIN,
    group: str = "Bjørnene",
) -> str:
    """Sofie added as staff at Solsikken (no password: invited), and her invitation's token,
    minted as the invitation mail would mint it."""
    iid = await institution_id(client, admin)
    made = await client.gql(
        "AddStaff",
        {
            "input": {
                "institutionId": iid,
                "email": email,
                "name": "Sofie",
                "groupIds": [await group_id(client, admin, group)],
            }
        },
        as_=admin,
    )
    assert made["addStaff"]["__typename"] == "StaffMember", made
    async with all_institutions_session(runtime.sessions) as db:
        invitation = await db.scalar(
            select(Invitation.id)
            .join(User, User.id == Invitation.user_id)
            .where(User.email_key == email, Invitation.accepted_at.is_(None))
        )
        token = await invitations.mint_token(db, invitation)
        await db.commit()
    assert token is not None
    return token


async def _solsikkens_municipality(runtime: Any) -> Any:
    async with all_institutions_session(runtime.sessions) as scoped:
        found = await scoped.scalar(
            select(Institution.municipality_id).where(Institution.name == "Solsikken")
        )
        await scoped.commit()
    assert found is not None
    return found


async def _provider(
    runtime: Any, db: Any, issuer: str, *, slug: str = "test-idp", elsewhere: bool = False
) -> Any:
    """A provider of Solsikken's municipality, or (`elsewhere`) of another municipality."""
    solsikken = None if elsewhere else await _solsikkens_municipality(runtime)
    async with write_transaction(db):
        if elsewhere:
            municipality = Municipality(name="Et andet sted Kommune")
            db.add(municipality)
            await db.flush()
            municipality_id = municipality.id
        else:
            municipality_id = solsikken
        return await federation.register_provider(
            db=db,
            municipality_id=municipality_id,
            slug=slug,
            display_name="Test IdP",
            issuer=issuer,
            client_id=CLIENT_ID,
            client_secret_env=SECRET_ENV,
            allow_insecure_issuer=True,
        )


async def _start(client: Any, token: str, provider: str = "test-idp") -> dict[str, Any]:
    data = await client.gql("StartInvitationLogin", {"token": token, "provider": provider})
    result: dict[str, Any] = data["startInvitationLogin"]
    return result


def _path(start_url: str) -> str:
    parts = urlsplit(start_url)
    return f"{parts.path}?{parts.query}"


async def _callback(client: Any, started: dict[str, Any]) -> str:
    """Open the start address in the browser and sign in at the provider: the callback path."""
    assert started["__typename"] == "InvitationLoginStarted", started
    return await at_provider(await client.http.get(_path(started["startUrl"])))


async def _exchange(client: Any, code: str) -> dict[str, Any]:
    data = await client.gql("ExchangeLoginCode", {"code": code})
    result: dict[str, Any] = data["exchangeLoginCode"]
    return result


async def _status(runtime: Any, email: str = SOFIE) -> str:
    async with all_institutions_session(runtime.sessions) as scoped:
        invitation = await scoped.scalar(
            select(Invitation)
            .join(User, User.id == Invitation.user_id)
            .where(User.email_key == email)
        )
        status = invitations.status_of(invitation)
        await scoped.commit()
    return status


async def _identities(db: Any) -> list[tuple[str, str]]:
    rows = await db.execute(select(FederatedIdentity.subject, FederatedIdentity.linked_by))
    return [tuple(row) for row in rows.all()]


async def test_an_invitation_accepted_with_the_provider_links_and_signs_in(
    client, db, runtime, oidc
):
    token = await _invited(client, runtime)
    await _provider(runtime, db, oidc.issuer)
    oidc.person = {"sub": "uni-sofie", "name": "Someone Else Entirely"}
    started = await _start(client, token)
    assert token not in started["startUrl"]  # the invitation's token stays out of URLs
    flows = (await db.execute(select(OidcLoginFlow.__table__))).all()
    assert flows and all(token not in repr(row) for row in flows)  # and out of the table
    session = await _exchange(
        client, login_code(await client.http.get(await _callback(client, started)))
    )
    assert session["__typename"] == "LoginSuccess", session
    me = (await client.gql("Me", token=session["token"]))["me"]
    assert me["email"] == SOFIE and me["name"] == "Sofie"  # never by (or to) the provider's name
    assert await _status(runtime) == "accepted"
    assert await _identities(db) == [("uni-sofie", "invitation")]
    sofie = await db.scalar(select(User).where(User.email_key == SOFIE))
    assert sofie.password_hash is None  # the provider's login is hers; no password was set
    # From now on a plain federated login finds her.
    plain = await client.http.get("/auth/oidc/test-idp/start")
    again = await _exchange(client, login_code(await client.http.get(await at_provider(plain))))
    assert again["__typename"] == "LoginSuccess"
    # And the token is spent: the mutation and acceptInvitation refuse it alike.
    assert (await _start(client, token))["reason"] == "INVITATION_INVALID"


async def test_a_used_token_gets_the_one_refusal_before_and_after_the_provider(
    client, db, runtime, oidc
):
    token = await _invited(client, runtime)
    await _provider(runtime, db, oidc.issuer)
    started = await _start(client, token)
    callback = await _callback(client, started)
    # Meanwhile the token is spent with a password.
    accepted = await client.gql(
        "AcceptInvitation", {"token": token, "password": "lang nok adgangskode 42"}
    )
    assert accepted["acceptInvitation"]["__typename"] == "LoginSuccess"
    answer = await client.http.get(callback)
    assert refusal(answer, 422) == "INVITATION_INVALID"
    assert await _identities(db) == []
    assert await db.scalar(select(func.count()).select_from(LoginCode)) == 0
    refused = await _start(client, token)
    assert refused["__typename"] == "InvalidCredentialsError"
    assert (refused["reason"], refused["field"]) == ("INVITATION_INVALID", "token")


async def test_a_revoked_or_expired_token_is_refused_and_nothing_changes(client, db, runtime, oidc):
    token = await _invited(client, runtime)
    await _provider(runtime, db, oidc.issuer)
    callback = await _callback(client, await _start(client, token))
    listed = await client.gql(
        "Invitations",
        {"institutionId": await institution_id(client, SOLSIKKEN_ADMIN)},
        as_=SOLSIKKEN_ADMIN,
    )
    (invitation,) = [i for i in listed["invitations"] if i["email"] == SOFIE]
    gone = await client.gql(
        "RevokeInvitation", {"invitationId": invitation["id"]}, as_=SOLSIKKEN_ADMIN
    )
    assert gone["revokeInvitation"]["status"] == "REVOKED"
    assert refusal(await client.http.get(callback), 422) == "INVITATION_INVALID"
    assert await _status(runtime) == "revoked"
    assert await _identities(db) == []
    assert (await _start(client, token))["reason"] == "INVITATION_INVALID"
    # An expired one: the same answer.
    other = await _invited(client, runtime, email="ida@solsikken.example")
    async with all_institutions_session(runtime.sessions) as scoped:
        await scoped.execute(
            update(Invitation)
            .where(Invitation.revoked_at.is_(None), Invitation.accepted_at.is_(None))
            .values(expires_at=utcnow())
        )
        await scoped.commit()
    assert (await _start(client, other))["reason"] == "INVITATION_INVALID"


async def test_only_the_institutions_municipalitys_provider_and_only_where_it_started(
    client, db, runtime, oidc
):
    token = await _invited(client, runtime)
    await _provider(runtime, db, oidc.issuer)
    await _provider(runtime, db, oidc.issuer, slug="far-idp", elsewhere=True)
    refused = await _start(client, token, provider="far-idp")
    assert refused["__typename"] == "ValidationError", refused
    assert (refused["reason"], refused["field"]) == ("OIDC_PROVIDER_NOT_FOR_INVITATION", "provider")
    assert (await _start(client, token, provider="nobody"))["reason"] == "NOT_FOUND"
    # A hand-off opened at another provider's start: refused, and spent.
    started = await _start(client, token)
    elsewhere = _path(started["startUrl"]).replace("/test-idp/", "/far-idp/")
    assert refusal(await client.http.get(elsewhere), 403) == "OIDC_STATE_INVALID"
    assert refusal(await client.http.get(_path(started["startUrl"])), 403) == "OIDC_STATE_INVALID"
    assert await _status(runtime) == "pending"


async def test_a_replayed_hand_off_or_state_is_refused(client, db, runtime, oidc):
    token = await _invited(client, runtime)
    await _provider(runtime, db, oidc.issuer)
    started = await _start(client, token)
    callback = await _callback(client, started)
    assert refusal(await client.http.get(_path(started["startUrl"])), 403) == "OIDC_STATE_INVALID"
    login_code(await client.http.get(callback))
    assert refusal(await client.http.get(callback), 403) == "OIDC_STATE_INVALID"
    assert await db.scalar(select(func.count()).select_from(LoginCode)) == 1
    # A made-up hand-off, and one from another browser's start, are refused alike.
    made_up = "/auth/oidc/test-idp/start?flow=made-up"
    assert refusal(await client.http.get(made_up), 403) == "OIDC_STATE_INVALID"


async def test_a_person_with_another_login_at_the_provider_is_refused_clearly(
    client, db, runtime, oidc
):
    token = await _invited(client, runtime)
    provider = await _provider(runtime, db, oidc.issuer)
    sofie = await db.scalar(select(User.id).where(User.email_key == SOFIE))
    async with write_transaction(db):
        await federation.link_identity_by_invitation(
            db=db, provider_id=provider.id, subject="uni-old", user_id=sofie
        )
    oidc.person = {"sub": "uni-new"}
    answer = await client.http.get(await _callback(client, await _start(client, token)))
    assert refusal(answer, 409) == "IDENTITY_ALREADY_LINKED"
    assert await _status(runtime) == "pending"  # nothing changed
    assert await _identities(db) == [("uni-old", "invitation")]
    assert await db.scalar(select(func.count()).select_from(LoginCode)) == 0
    # The login someone else already has is refused the same way.
    oidc.person = {"sub": "uni-old"}
    code = login_code(await client.http.get(await _callback(client, await _start(client, token))))
    assert (await _exchange(client, code))["__typename"] == "LoginSuccess"  # her own: fine


async def test_bad_tokens_are_throttled_as_at_accept_invitation(
    client, db, runtime, oidc, settings
):
    await _provider(runtime, db, oidc.issuer)
    for _ in range(settings.login_max_failures_per_address):
        assert (await _start(client, "made-up"))["reason"] == "INVITATION_INVALID"
    locked = await _start(client, "made-up")
    assert locked["__typename"] == "TooManyAttemptsError", locked


async def test_an_authenticator_enrolled_after_a_federated_acceptance_is_asked_for_later(
    client, db, runtime, oidc
):
    """The one session decision (start_session) holds for every way in: Sofie got in with the
    provider, enrolled an authenticator, and is then invited by a second institution; taking
    that invitation with a password no longer skips her authenticator."""
    token = await _invited(client, runtime)
    await _provider(runtime, db, oidc.issuer)
    callback = await _callback(client, await _start(client, token))
    session = await _exchange(client, login_code(await client.http.get(callback)))
    app, _ = await enrol(client, session["token"])
    second = await _invited(client, runtime, admin=REGNBUEN_ADMIN, group="0.A")
    answer = (
        await client.gql(
            "AcceptInvitation", {"token": second, "password": "lang nok adgangskode 42"}
        )
    )["acceptInvitation"]
    assert answer["__typename"] == "SecondFactorRequired", answer
    verified = await verify(client, answer["challenge"], app.code(ahead=1))
    assert verified["__typename"] == "LoginSuccess", verified


async def test_the_invitation_tells_which_providers_may_accept_it(client, db, runtime, oidc):
    token = await _invited(client, runtime)

    async def options(token: str) -> dict[str, Any]:
        data = await client.gql("InvitationSignInOptions", {"token": token})
        result: dict[str, Any] = data["invitationSignInOptions"]
        return result

    assert (await options(token))["providers"] == []  # none yet: a password only
    await _provider(runtime, db, oidc.issuer)
    await _provider(runtime, db, oidc.issuer, slug="far-idp", elsewhere=True)
    offered = await options(token)
    assert offered["providers"] == [{"slug": "test-idp", "displayName": "Test IdP"}]
    assert (await options("made-up"))["reason"] == "INVITATION_INVALID"
    assert await _status(runtime) == "pending"  # asking spends nothing
