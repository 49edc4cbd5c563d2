"""Use cases of accounts: login with throttling, sessions, passwords.

Throttling lives in app.accounts.service.throttling, the start of a session (and its
second-factor decision) in app.accounts.service.sessions; `hash_token` and `LoginResult` are
re-exported from there for the many callers that import them from here."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.events import AccountMailRequested
from app.accounts.models import AuthSession, LoginThrottle, User
from app.accounts.service import password_policy, push_devices, step_up, throttling
from app.accounts.service.phones import e164
from app.accounts.service.sessions import LoginResult as LoginResult
from app.accounts.service.sessions import hash_token as hash_token
from app.accounts.service.sessions import start_session
from app.config import Settings
from app.core import events
from app.core.actor import Actor
from app.core.errors import InvalidCredentials, NotFound, TooManyAttempts, ValidationFailed
from app.db import keep_on_end, utcnow, write_transaction

log = logging.getLogger("seddel.auth")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# last_used_at is written at most this often: not one UPDATE per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@lru_cache(maxsize=4)
def password_hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher_for(settings: Settings) -> PasswordHasher:
    return password_hasher(
        settings.argon2_time_cost, settings.argon2_memory_cost_kib, settings.argon2_parallelism
    )


async def hash_password(settings: Settings, password: str) -> str:
    # argon2 is deliberately slow: keep it off the event loop.
    return await asyncio.to_thread(hasher_for(settings).hash, password)


def email_key(email: str) -> str:
    return email.strip().lower()


def validate_email(email: str) -> str:
    cleaned = email.strip()
    if not EMAIL_PATTERN.match(cleaned) or len(cleaned) > 320:
        raise ValidationFailed("invalid_email", field="email")
    return cleaned


def validate_new_password(
    password: str, *, user_inputs: Sequence[str | None] = (), field: str = "newPassword"
) -> None:
    """At least MIN_PASSWORD_LENGTH characters of any kind, and not guessable: not on a
    common-password list, not made of the person's own name or e-mail (`user_inputs`), not a
    keyboard pattern, repeat, sequence or date (app.accounts.service.password_policy)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed("password_too_short", field=field, min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed("too_long", field=field, max=MAX_PASSWORD_LENGTH)
    why = password_policy.weakness(password, [value for value in user_inputs if value])
    # One literal key per reason: tests/core/test_reasons.py reads every raise site.
    if why == "common":
        raise ValidationFailed("password_common", field=field)
    if why == "personal":
        raise ValidationFailed("password_personal", field=field)
    if why == "keyboard":
        raise ValidationFailed("password_keyboard_pattern", field=field)
    if why == "repeats":
        raise ValidationFailed("password_repeats", field=field)
    if why == "sequence":
        raise ValidationFailed("password_sequence", field=field)
    if why == "date":
        raise ValidationFailed("password_date", field=field)
    if why is not None:
        raise ValidationFailed("password_guessable", field=field)


async def verify_password(settings: Settings, stored_hash: str | None, password: str) -> bool:
    """Whether the password matches the stored hash; the same work when there is none."""
    hasher = hasher_for(settings)
    # An unknown email costs the same time as a wrong password: no user enumeration by timing.
    target = stored_hash or _dummy_hash(settings)
    try:
        return await asyncio.to_thread(hasher.verify, target, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=4)
def _dummy_hash_for(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return password_hasher(time_cost, memory_cost, parallelism).hash(secrets.token_hex(16))


def _dummy_hash(settings: Settings) -> str:
    return _dummy_hash_for(
        settings.argon2_time_cost, settings.argon2_memory_cost_kib, settings.argon2_parallelism
    )


async def login(
    *,
    db: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    client_address: str | None,
    device_label: str | None = None,
    user_agent: str | None = None,
) -> LoginResult | step_up.Challenge:
    """Exchange email and password for a new session token (throttled per account and address),
    or for a second-factor challenge when the person has an authenticator (step_up)."""
    key = email_key(email)
    keys = [f"email:{key}"] + ([f"ip:{client_address}"] if client_address else [])
    now = utcnow()
    async with write_transaction(db):
        rows = await throttling.load_throttles(db, keys)
        retry_after = throttling.retry_after(rows, now)
        if retry_after is not None:
            log.warning("login refused: locked", extra={"email": key, "address": client_address})
            raise TooManyAttempts(retry_after)
        user = await db.scalar(select(User).where(User.email_key == key))
        ok = await verify_password(settings, user.password_hash if user else None, password)
        if not ok or user is None or not user.is_active:
            throttling.record_failure(db, rows, keys[0], settings.login_max_failures, settings)
            if client_address:
                throttling.record_failure(
                    db, rows, keys[1], settings.login_max_failures_per_address, settings
                )
            failed = True
        else:
            failed = False
            await db.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
            assert user.password_hash is not None
            if hasher_for(settings).check_needs_rehash(user.password_hash):
                user.password_hash = await hash_password(settings, password)
            started = await start_session(
                db,
                settings,
                user,
                label=device_label,
                address=client_address,
                user_agent=user_agent,
            )
    if failed:
        log.warning("login failed", extra={"email": key, "address": client_address})
        raise InvalidCredentials()
    assert user is not None
    if isinstance(started, step_up.Challenge):
        log.info("login awaits its second factor", extra={"user_id": str(user.id)})
    else:
        log.info("login succeeded", extra={"user_id": str(user.id), "address": client_address})
    return started


def session_is_live(session: AuthSession, now: datetime) -> bool:
    if session.revoked_at is not None or session.expires_at <= now:
        return False
    return session.last_used_at + timedelta(seconds=session.idle_timeout_seconds) > now


async def authenticate(*, db: AsyncSession, token: str) -> tuple[AuthSession, User] | None:
    """The live session and user behind a bearer token, or None. Notes the session's last
    use at most once per LAST_USED_RESOLUTION, and then marks the transaction as one to keep
    (app.db.keep_on_end): a read request commits only when it touched the session.
    (PostgreSQL signs in with one statement of the same rules: migration 0076.)"""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    row = (
        await db.execute(
            select(AuthSession, User)
            .join(User, User.id == AuthSession.user_id)
            .where(AuthSession.token_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    session, user = row
    if not user.is_active or not session_is_live(session, now):
        return None
    if now - session.last_used_at > LAST_USED_RESOLUTION:
        await db.execute(
            update(AuthSession).where(AuthSession.id == session.id).values(last_used_at=now)
        )
        session.last_used_at = now
        keep_on_end(db)
    return session, user


async def logout(*, db: AsyncSession, actor: Actor) -> None:
    """End the session the request came with."""
    if actor.session_id is None:
        return
    async with write_transaction(db):
        await db.execute(
            update(AuthSession)
            .where(AuthSession.id == actor.session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        await push_devices.forget_sessions_devices(db, [actor.session_id])


async def my_sessions(*, db: AsyncSession, actor: Actor) -> list[AuthSession]:
    """The actor's live sessions, newest use first."""
    now = utcnow()
    rows = (
        await db.scalars(
            select(AuthSession)
            .where(
                AuthSession.user_id == actor.user_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
            )
            .order_by(AuthSession.last_used_at.desc(), AuthSession.id)
        )
    ).all()
    return [s for s in rows if session_is_live(s, now)]


async def revoke_session(*, db: AsyncSession, actor: Actor, session_id: uuid.UUID) -> AuthSession:
    """Revoke one of the actor's own sessions (a lost phone or tablet)."""
    async with write_transaction(db):
        session = await db.scalar(
            select(AuthSession).where(
                AuthSession.id == session_id, AuthSession.user_id == actor.user_id
            )
        )
        if session is None:
            raise NotFound(field="sessionId")
        if session.revoked_at is None:
            session.revoked_at = utcnow()
        await push_devices.forget_sessions_devices(db, [session.id])
    log.info(
        "session revoked", extra={"user_id": str(actor.user_id), "session_id": str(session_id)}
    )
    return session


async def change_password(
    *,
    db: AsyncSession,
    settings: Settings,
    actor: Actor,
    current_password: str,
    new_password: str,
    revoke_other_sessions: bool = True,
) -> None:
    """Set a new password; every other session of the user is revoked unless the person
    chose to keep them. The user is told by e-mail (a stolen session cannot change it
    unnoticed: it also needs the current password)."""
    async with write_transaction(db):
        user = await db.get(User, actor.user_id)
        if user is None:
            raise NotFound()
        validate_new_password(new_password, user_inputs=(user.name, user.email))
        if not await verify_password(settings, user.password_hash, current_password):
            raise ValidationFailed("wrong_password", field="currentPassword")
        user.password_hash = await hash_password(settings, new_password)
        if revoke_other_sessions:
            await revoke_sessions_of(db, user.id, keep=actor.session_id)
        await events.record(db, AccountMailRequested(kind="password_changed", user_id=user.id))


async def revoke_sessions_of(
    db: AsyncSession, user_id: uuid.UUID, *, keep: uuid.UUID | None = None
) -> None:
    """End every live session of the user but `keep` (the one asking), in the caller's
    transaction."""
    statement = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    await db.execute(statement.values(revoked_at=utcnow()))
    # Their push registrations go with them.
    await push_devices.forget_other_sessions_devices(db, user_id, keep)


async def unlock_login(*, db: AsyncSession, email: str) -> None:
    """Clear an account's login lock. Callers decide who may (app.institutions.service.people)."""
    async with write_transaction(db):
        await db.execute(
            delete(LoginThrottle).where(LoginThrottle.key == f"email:{email_key(email)}")
        )


async def find_user_by_email(*, db: AsyncSession, email: str) -> User | None:
    return await db.scalar(select(User).where(User.email_key == email_key(email)))


async def create_user(
    *,
    db: AsyncSession,
    settings: Settings,
    name: str,
    email: str,
    phone: str | None = None,
    language: str = "da",
    password: str | None = None,
    password_hash: str | None = None,
) -> User:
    """A new person with one login. Call inside the caller's transaction."""
    cleaned = validate_email(email)
    if not name.strip():
        raise ValidationFailed("required", field="name")
    if language not in ("da", "en"):
        raise ValidationFailed("invalid_language", field="preferredLanguage")
    number = e164(phone)
    if password is not None:
        validate_new_password(password, user_inputs=(name, cleaned))
        password_hash = await hash_password(settings, password)
    user = User(
        name=name.strip()[:200],
        email=cleaned,
        email_key=email_key(cleaned),
        phone=number,
        preferred_language=language,
        password_hash=password_hash,
    )
    db.add(user)
    await db.flush()
    return user
