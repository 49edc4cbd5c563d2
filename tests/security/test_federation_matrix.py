"""The security matrix of federated login's mutations: `exchangeLoginCode` takes a one-time code,
not a session, so what a session says changes nothing: a stranger, another institution's
admin, a revoked session, a made-up token and no session at all get the one refusal for a
code that is not theirs to have, and no session is made. A code that is theirs (it reached
them through the callback's redirect) is the whole credential, exactly once."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import AuthSession
from tests.helpers import SOLSIKKEN_ADMIN
from tests.security.matrix import STRANGERS, Case, assert_refused, dead_sessions


def _refused(payload):
    result = payload["data"]["exchangeLoginCode"]
    assert result["reason"] == "LOGIN_CODE_INVALID", result


async def test_no_session_opens_a_login_code_that_does_not_exist(client, db):
    cases = [Case("ExchangeLoginCode", {"code": "made-up-code"}, _refused)]
    before = await db.scalar(select(func.count()).select_from(AuthSession))
    await assert_refused(client, cases, [*STRANGERS, SOLSIKKEN_ADMIN])
    for token in await dead_sessions(client):
        _refused(await client.execute("ExchangeLoginCode", {"code": "made-up-code"}, token=token))
    # The sign-ins of the actors above (and the revoked one) are the only new sessions.
    after = await db.scalar(select(func.count()).select_from(AuthSession))
    assert after - before == len(STRANGERS) + 2


def _options_refused(payload):
    result = payload["data"]["invitationSignInOptions"]
    assert result["reason"] == "INVITATION_INVALID", result


def _invitation_refused(payload):
    result = payload["data"]["startInvitationLogin"]
    assert result["reason"] == "INVITATION_INVALID", result


async def test_no_session_starts_a_login_for_an_invitation_that_is_not_theirs(client, db):
    """`startInvitationLogin` and `invitationSignInOptions` take an invitation's token, not a
    session: whoever asks with a token that is not theirs to have gets INVITATION_INVALID, and
    no login flow is made."""
    from app.accounts.federation.models import OidcLoginFlow

    variables = {"token": "made-up-token", "provider": "any-idp"}
    cases = [
        Case("StartInvitationLogin", variables, _invitation_refused),
        Case("InvitationSignInOptions", {"token": "made-up-token"}, _options_refused),
    ]
    await assert_refused(client, cases, [*STRANGERS, SOLSIKKEN_ADMIN])
    for token in await dead_sessions(client):
        _invitation_refused(await client.execute("StartInvitationLogin", variables, token=token))
    assert await db.scalar(select(func.count()).select_from(OidcLoginFlow)) == 0
