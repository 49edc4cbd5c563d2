"""A forgotten password, as a person meets it: ask with an address, get a link by e-mail,
set a new password with it. And as an attacker meets it: the answer and the work do not tell
whether the address has an account, the link works once and for an hour, and asking is
throttled per address and per client."""

from __future__ import annotations

import dataclasses
import hashlib
import statistics
import time
from datetime import timedelta

from sqlalchemy import select, update

from app.accounts.models import AccountToken, User
from app.db import utcnow
from app.notifications.models import AccountEmail
from app.notifications.service.senders import LoggingSender, Senders, SmtpSender
from app.notifications.service.worker import deliver_due
from app.ops.jobs import JobContext
from app.root.jobs import PERIODIC_JOBS
from tests.accounts.mail import TOKEN_IN_LINK, account_emails, deliver, token_in

METTE = "mette@example.com"
NEW_PASSWORD = "Solsikke-Himmel-42"


async def _ask(client, email: str) -> dict:
    return (await client.gql("RequestPasswordReset", {"email": email}))["requestPasswordReset"]


async def _reset(client, token: str, password: str = NEW_PASSWORD) -> dict:
    data = await client.gql("ResetPassword", {"token": token, "newPassword": password})
    return data["resetPassword"]


async def test_the_link_sets_a_new_password_ends_every_session_and_tells_the_owner(client, runtime):
    old_session = await client.token_for(METTE)
    assert (await _ask(client, METTE)) == {"__typename": "PasswordResetRequested"}
    (mail,) = await deliver(runtime)
    assert mail.to_address == METTE
    assert mail.subject == "Nulstil din adgangskode til Seddel"  # Mette reads Danish
    assert "60 minutter" in mail.text and "/account/reset-password#token=" in mail.text
    token = token_in(mail)
    assert len(token) >= 43  # 256 bits, url-safe base64

    assert (await _reset(client, token))["__typename"] == "PasswordReset"

    payload = await client.execute("Me", token=old_session)
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    old = await client.gql("Login", {"email": METTE, "password": "seddel-demo"})
    assert old["login"]["__typename"] == "InvalidCredentialsError"
    new = await client.gql("Login", {"email": METTE, "password": NEW_PASSWORD})
    assert new["login"]["__typename"] == "LoginSuccess"
    (told,) = await deliver(runtime)
    assert told.to_address == METTE
    assert told.subject == "Din adgangskode til Seddel er ændret"
    assert "#token=" not in told.text


async def test_only_the_tokens_sha256_is_stored(client, runtime):
    await _ask(client, METTE)
    async with runtime.sessions() as db:
        before = (await db.scalars(select(AccountToken.token_hash))).all()
    assert before == [None]  # nothing that could work is stored before the mail is sent
    token = token_in((await deliver(runtime))[0])
    async with runtime.sessions() as db:
        (stored,) = (await db.scalars(select(AccountToken.token_hash))).all()
        mails = (await db.execute(select(AccountEmail.__table__))).all()
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(tuple(row)) for row in mails)


async def test_a_used_or_expired_link_is_one_typed_error_and_changes_nothing(client, runtime):
    await _ask(client, METTE)
    token = token_in((await deliver(runtime))[0])
    assert (await _reset(client, token))["__typename"] == "PasswordReset"
    again = await _reset(client, token, "Another-Fine-Phrase-77")
    assert again["__typename"] == "InvalidTokenError"
    assert again["code"] == "INVALID_TOKEN" and again["reason"] == "TOKEN_INVALID"
    assert again["field"] == "token"

    await _ask(client, METTE)
    expired = token_in((await deliver(runtime))[-1])
    async with runtime.sessions() as db:
        await db.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        await db.commit()
    late = await _reset(client, expired, "Another-Fine-Phrase-77")
    made_up = await _reset(client, "A" * 43, "Another-Fine-Phrase-77")
    assert late == made_up == {key: again[key] for key in again}
    login = await client.gql("Login", {"email": METTE, "password": NEW_PASSWORD})
    assert login["login"]["__typename"] == "LoginSuccess"  # the first reset's password holds


async def test_a_weak_new_password_is_refused_and_the_link_still_works(client, runtime):
    await _ask(client, METTE)
    token = token_in((await deliver(runtime))[0])
    weak = await _reset(client, token, "password1234")
    assert weak["__typename"] == "ValidationError" and weak["reason"] == "PASSWORD_COMMON"
    assert weak["field"] == "newPassword"
    personal = await _reset(client, token, "Mette Holm-Jensen")
    assert personal["reason"] == "PASSWORD_PERSONAL"
    assert (await _reset(client, token))["__typename"] == "PasswordReset"


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, runtime):
    known = await client.execute("RequestPasswordReset", {"email": METTE})
    unknown = await client.execute("RequestPasswordReset", {"email": "nobody@example.com"})
    assert known == unknown
    sent = await deliver(runtime)
    assert [m.to_address for m in sent] == [METTE]
    rows = await account_emails(runtime)
    assert [(r.kind, r.status) for r in rows] == [
        ("password_reset", "sent"),
        ("password_reset", "failed"),  # no recipient: given up, never sent
    ]


async def test_an_english_reader_gets_the_mail_in_english(client, runtime):
    changed = await client.gql("UpdateMyProfile", {"input": {"preferredLanguage": "en"}}, as_=METTE)
    assert changed["updateMyProfile"]["preferredLanguage"] == "en"
    await _ask(client, METTE)
    (mail,) = await deliver(runtime)
    assert mail.subject == "Reset your Seddel password"
    assert "60 minutes" in mail.text and mail.text.startswith("Hello ")


async def test_both_paths_run_the_same_statements_and_hash_nothing(
    client, settings, assert_max_queries, monkeypatch
):
    """No early return: an address with an account and one without run the very same SQL
    (only a bound value differs: the user id, or null), and neither hashes a password."""
    import argon2

    hashed: list[str] = []
    for name in ("hash", "verify"):
        original = getattr(argon2.PasswordHasher, name)
        monkeypatch.setattr(
            argon2.PasswordHasher,
            name,
            lambda self, *a, _o=original, _n=name, **k: hashed.append(_n) or _o(self, *a, **k),
        )
    await _ask(client, "warm-up@example.com")  # the client's throttle row exists from here on
    with assert_max_queries(50) as known:
        assert (await _ask(client, METTE))["__typename"] == "PasswordResetRequested"
    with assert_max_queries(50) as unknown:
        assert (await _ask(client, "nobody@example.com"))["__typename"] == "PasswordResetRequested"
    assert known.statements == unknown.statements
    assert hashed == []


async def test_timing_does_not_tell_whether_the_address_exists(client, settings):
    """A sanity check, not a proof (that is the statement test above): the medians of many
    requests for a known and for an unknown address are close."""
    before = (settings.password_reset_max_per_address, settings.password_reset_max_per_client)
    object.__setattr__(settings, "password_reset_max_per_address", 1000)
    object.__setattr__(settings, "password_reset_max_per_client", 1000)
    try:
        timings: dict[str, list[float]] = {"known": [], "unknown": []}
        await _ask(client, "warm-up@example.com")
        for _ in range(15):
            for kind, address in (("known", METTE), ("unknown", "nobody@example.com")):
                started = time.perf_counter()
                await _ask(client, address)
                timings[kind].append(time.perf_counter() - started)
    finally:
        object.__setattr__(settings, "password_reset_max_per_address", before[0])
        object.__setattr__(settings, "password_reset_max_per_client", before[1])
    known, unknown = (statistics.median(timings[k]) for k in ("known", "unknown"))
    assert 0.5 < known / unknown < 2, (known, unknown)


async def test_asking_is_throttled_per_address_alike_for_known_and_unknown(client):
    for address in (METTE, "nobody@example.com"):
        answers = [(await _ask(client, address))["__typename"] for _ in range(4)]
        assert answers == ["PasswordResetRequested"] * 3 + ["TooManyAttemptsError"]
    # Another address from the same client still gets through: the per-client bar is higher.
    assert (await _ask(client, "jonas@example.com"))["__typename"] == "PasswordResetRequested"
    # The login is not locked by resets.
    login = await client.gql("Login", {"email": METTE, "password": "seddel-demo"})
    assert login["login"]["__typename"] == "LoginSuccess"


async def test_asking_is_throttled_per_client(client, settings):
    answers = [
        (await _ask(client, f"someone-{n}@example.com"))["__typename"]
        for n in range(settings.password_reset_max_per_client + 1)
    ]
    assert answers[-2] == "PasswordResetRequested" and answers[-1] == "TooManyAttemptsError"


async def test_a_reset_unlocks_a_locked_login(client, runtime):
    for _ in range(5):
        await client.gql("Login", {"email": METTE, "password": "wrong-password"})
    locked = await client.gql("Login", {"email": METTE, "password": "seddel-demo"})
    assert locked["login"]["__typename"] == "TooManyAttemptsError"
    await _ask(client, METTE)
    assert (await _reset(client, token_in((await deliver(runtime))[0])))["__typename"] == (
        "PasswordReset"
    )
    login = await client.gql("Login", {"email": METTE, "password": NEW_PASSWORD})
    assert login["login"]["__typename"] == "LoginSuccess"


async def test_a_deactivated_account_gets_no_link(client, runtime):
    async with runtime.sessions() as db:
        await db.execute(update(User).where(User.email_key == METTE).values(is_active=False))
        await db.commit()
    assert (await _ask(client, METTE))["__typename"] == "PasswordResetRequested"
    assert await deliver(runtime) == []


async def test_the_link_goes_through_a_real_smtp_server(client, runtime, settings, smtp_server):
    inbox, port = smtp_server
    smtp_settings = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, smtp_from="Seddel <no-reply@seddel.dk>"
    )
    await _ask(client, METTE)
    await deliver_due(
        sessions=runtime.sessions,
        senders=Senders(push=LoggingSender(), email=SmtpSender(smtp_settings)),
        settings=smtp_settings,
    )
    ((mail_from, to, message),) = inbox.messages
    assert mail_from == "no-reply@seddel.dk" and to == [METTE]
    assert message["Subject"] == "Nulstil din adgangskode til Seddel"
    text = message.get_payload(decode=True).decode()
    token = TOKEN_IN_LINK.search(text)
    assert token and (await _reset(client, token.group(1)))["__typename"] == "PasswordReset"


async def test_the_hourly_job_forgets_tokens_a_day_after_they_ended(client, runtime, settings):
    await _ask(client, METTE)
    await _ask(client, "nobody@example.com")
    await deliver(runtime)
    async with runtime.sessions() as db:
        await db.execute(
            update(AccountToken).values(expires_at=utcnow() - timedelta(days=1, minutes=1))
        )
        await db.commit()
    job = next(j for j in PERIODIC_JOBS if j.name == "account-tokens")
    context = JobContext(
        sessions=runtime.sessions, storage=runtime.storage, settings=settings, now=utcnow()
    )
    assert await job.run(context) == 2
    assert await account_emails(runtime) == []  # their mails went with them
