"""Login, throttling, sessions and passwords through the API."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import AuthSession, User

METTE = "mette@example.com"


async def test_login_returns_an_opaque_token_stored_only_as_a_hash(client, db):
    data = await client.gql("Login", {"email": "Mette@Example.com", "password": "seddel-demo"})
    result = data["login"]
    assert result["__typename"] == "LoginSuccess"
    token = result["token"]
    assert len(token) >= 43  # 256 bits, url-safe base64
    async with db as session:
        hashes = (await session.scalars(select(AuthSession.token_hash))).all()
    assert token not in hashes
    assert all(len(h) == 64 for h in hashes)


async def test_wrong_password_and_unknown_email_get_the_same_answer(client):
    wrong = await client.gql("Login", {"email": METTE, "password": "nope-nope-nope"})
    unknown = await client.gql("Login", {"email": "nobody@example.com", "password": "x" * 12})
    assert (
        wrong["login"]["__typename"] == unknown["login"]["__typename"] == "InvalidCredentialsError"
    )
    assert wrong["login"]["message"] == unknown["login"]["message"]


async def test_five_failures_lock_the_account_for_fifteen_minutes(client):
    for _ in range(5):
        data = await client.gql("Login", {"email": METTE, "password": "wrong-password"})
        assert data["login"]["__typename"] == "InvalidCredentialsError"
    data = await client.gql("Login", {"email": METTE, "password": "seddel-demo"})
    assert data["login"]["__typename"] == "TooManyAttemptsError"
    assert data["login"]["code"] == "TOO_MANY_ATTEMPTS"
    assert 14 * 60 < data["login"]["retryAfterSeconds"] <= 15 * 60 + 1


async def test_unknown_email_is_throttled_like_a_known_one(client):
    for _ in range(5):
        await client.gql("Login", {"email": "ghost@example.com", "password": "wrong-password"})
    data = await client.gql("Login", {"email": "ghost@example.com", "password": "wrong-password"})
    assert data["login"]["__typename"] == "TooManyAttemptsError"


async def test_admin_unlocks_a_member_of_their_institution(client):
    for _ in range(5):
        await client.gql(
            "Login", {"email": "pernille@solsikken.example", "password": "bad-bad-bad"}
        )
    me = await client.gql("Me", as_="admin@solsikken.example")
    institution = me["me"]["institutions"][0]["institution"]["id"]
    data = await client.gql(
        "UnlockLogin",
        {"institutionId": institution, "email": "pernille@solsikken.example"},
        as_="admin@solsikken.example",
    )
    assert data["unlockLogin"]["__typename"] == "Done"
    login = await client.gql(
        "Login", {"email": "pernille@solsikken.example", "password": "seddel-demo"}
    )
    assert login["login"]["__typename"] == "LoginSuccess"


async def test_admin_cannot_unlock_a_stranger(client):
    me = await client.gql("Me", as_="admin@solsikken.example")
    institution = me["me"]["institutions"][0]["institution"]["id"]
    data = await client.gql(
        "UnlockLogin",
        {"institutionId": institution, "email": "lars@regnbuen.example"},
        as_="admin@solsikken.example",
    )
    assert data["unlockLogin"]["code"] == "NOT_FOUND"


async def test_revoked_session_is_refused_on_the_next_request(client):
    token = await client.token_for(METTE)
    other = await client.gql(
        "Login", {"email": METTE, "password": "seddel-demo", "deviceLabel": "iPad"}
    )
    sessions = (await client.gql("MySessions", token=token))["mySessions"]
    tablet = next(s for s in sessions if s["deviceLabel"] == "iPad")
    revoked = await client.gql("RevokeSession", {"sessionId": tablet["id"]}, token=token)
    assert revoked["revokeSession"]["__typename"] == "SessionRevoked"
    payload = await client.execute("Me", token=other["login"]["token"])
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await client.gql("Me", token=token))["me"]["email"] == METTE


async def test_cannot_revoke_someone_elses_session(client):
    mette = await client.token_for(METTE)
    jonas_sessions = (await client.gql("MySessions", as_="jonas@example.com"))["mySessions"]
    data = await client.gql("RevokeSession", {"sessionId": jonas_sessions[0]["id"]}, token=mette)
    assert data["revokeSession"]["code"] == "NOT_FOUND"


async def test_logout_ends_the_session(client):
    token = await client.token_for(METTE)
    await client.gql("Logout", token=token)
    payload = await client.execute("Me", token=token)
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_change_password_checks_length_and_current_password(client):
    token = await client.token_for(METTE)
    short = await client.gql(
        "ChangePassword", {"currentPassword": "seddel-demo", "newPassword": "short"}, token=token
    )
    assert short["changePassword"]["field"] == "newPassword"
    wrong = await client.gql(
        "ChangePassword",
        {"currentPassword": "not-it-at-all", "newPassword": "a-long-new-secret"},
        token=token,
    )
    assert wrong["changePassword"]["field"] == "currentPassword"
    ok = await client.gql(
        "ChangePassword",
        {"currentPassword": "seddel-demo", "newPassword": "a-long-new-secret"},
        token=token,
    )
    assert ok["changePassword"]["__typename"] == "PasswordChanged"
    login = await client.gql("Login", {"email": METTE, "password": "a-long-new-secret"})
    assert login["login"]["__typename"] == "LoginSuccess"


async def test_login_rehashes_when_parameters_change(client, db, settings):
    async with db as session:
        before = await session.scalar(select(User.password_hash).where(User.email_key == METTE))
    # The demo hash was made with the test parameters; raise them and log in.
    object.__setattr__(settings, "argon2_time_cost", 2)
    try:
        await client.gql("Login", {"email": METTE, "password": "seddel-demo"})
    finally:
        object.__setattr__(settings, "argon2_time_cost", 1)
    async with db as session:
        after = await session.scalar(select(User.password_hash).where(User.email_key == METTE))
    assert before != after and "t=2" in after


async def test_anonymous_me_is_unauthenticated(client):
    payload = await client.execute("Me")
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_one_address_trying_many_accounts_is_throttled(client, settings):
    object.__setattr__(settings, "login_max_failures_per_address", 3)
    try:
        for i in range(3):
            data = await client.gql(
                "Login", {"email": f"guess{i}@example.com", "password": "wrong-password"}
            )
            assert data["login"]["__typename"] == "InvalidCredentialsError"
        data = await client.gql("Login", {"email": METTE, "password": "seddel-demo"})
    finally:
        object.__setattr__(settings, "login_max_failures_per_address", 50)
    assert data["login"]["__typename"] == "TooManyAttemptsError"


async def test_the_lock_doubles_when_it_is_earned_again(client, db):
    from datetime import timedelta

    from app.accounts.models import LoginThrottle
    from app.db import utcnow

    for _ in range(5):
        await client.gql("Login", {"email": METTE, "password": "wrong-password"})
    async with db as session:
        row = await session.get(LoginThrottle, f"email:{METTE}")
        row.locked_until = utcnow() - timedelta(seconds=1)  # the first lock has run out
        await session.commit()
    for _ in range(5):
        await client.gql("Login", {"email": METTE, "password": "wrong-password"})
    data = await client.gql("Login", {"email": METTE, "password": "seddel-demo"})
    assert 29 * 60 < data["login"]["retryAfterSeconds"] <= 30 * 60 + 1


async def test_idle_and_expired_sessions_stop_working(client, db):
    from datetime import timedelta

    from sqlalchemy import update

    from app.accounts.service.auth import hash_token
    from app.db import utcnow

    idle = await client.token_for(METTE)
    expired = (await client.gql("Login", {"email": METTE, "password": "seddel-demo"}))["login"][
        "token"
    ]
    async with db as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == hash_token(idle))
            .values(last_used_at=utcnow() - timedelta(days=15))  # idle timeout: 14 days
        )
        await session.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == hash_token(expired))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    for token in (idle, expired):
        payload = await client.execute("Me", token=token)
        assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_sibling_fields_share_one_actor_load(client):
    # Two top-level fields that both need the actor, resolved concurrently.
    payload = await client.execute(
        "Both", query="query Both { me { email } mySessions { id } }", as_=METTE
    )
    assert "errors" not in payload and payload["data"]["me"]["email"] == METTE
