"""Use cases of accounts: login with throttling, sessions, passwords."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.events import AccountMailRequested
from app.accounts.models import AuthSession, LoginThrottle, User
from app.accounts.service import password_policy, push_devices, step_up
from app.accounts.service.phones import e164
from app.config import Settings
from app.core import events
from app.core.actor import Actor
from app.core.errors import InvalidCredentials, NotFound, TooManyAttempts, ValidationFailed
from app.db import keep_on_end, new_id, utcnow, write_transaction

log = logging.getLogger("seddel.auth")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# last_used_at is written at most this often: not one UPDATE per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A throttle key's doubled locks are forgotten after this long without a failure; so is its row.
LOCKOUT_MEMORY = timedelta(days=1)


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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    token: str
    session: AuthSession
    user: User


async def _verify(settings: Settings, stored_hash: str | None, password: str) -> bool:
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


def _lockout_for(settings: Settings, lockouts: int) -> timedelta:
    """15 minutes, doubling each time the same key is locked again, at most
    SEDDEL_LOGIN_LOCKOUT_MAX (an attacker who knows an e-mail address cannot lock its owner
    out for days)."""
    doubled = settings.login_lockout_seconds * 2 ** min(max(0, lockouts - 1), 32)
    return timedelta(seconds=min(doubled, settings.login_lockout_max_seconds))


def _decayed(settings: Settings, row: LoginThrottle, limit: int, now: datetime) -> None:
    """Failures decay: a sliding window of SEDDEL_LOGIN_FAILURE_WINDOW in which `limit`
    failures lock, each failure forgotten window/limit after the last one (a leaky bucket;
    partial intervals are not credited, so a steady rate above the limit still locks).
    The doubling of locks is forgotten after a quiet day."""
    if row.last_failure_at is None:
        return
    quiet = (now - row.last_failure_at).total_seconds()
    per_failure = settings.login_failure_window_seconds / max(limit, 1)
    row.failures = max(0, row.failures - int(quiet // per_failure))
    if quiet >= LOCKOUT_MEMORY.total_seconds():
        row.lockouts = 0


async def _throttles(db: AsyncSession, keys: list[str]) -> dict[str, LoginThrottle]:
    rows = (await db.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))).all()
    return {row.key: row for row in rows}


def _record_failure(
    db: AsyncSession, rows: dict[str, LoginThrottle], key: str, limit: int, settings: Settings
) -> None:
    now = utcnow()
    row = rows.get(key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, lockouts=0)
        db.add(row)
        rows[key] = row
    _decayed(settings, row, limit, now)
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= limit:
        row.lockouts += 1
        row.failures = 0
        row.locked_until = now + _lockout_for(settings, row.lockouts)


async def sweep_login_throttles(db: AsyncSession, *, now: datetime) -> int:
    """Forget keys (made-up e-mail addresses and client addresses are anyone's to invent)
    whose lock is over and whose last failure is older than LOCKOUT_MEMORY: what decay
    would have brought to nothing anyway. Keeps the table as small as the last day's
    failures."""
    async with write_transaction(db):
        result = await db.execute(
            delete(LoginThrottle).where(
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
                or_(
                    LoginThrottle.last_failure_at.is_(None),
                    LoginThrottle.last_failure_at < now - LOCKOUT_MEMORY,
                ),
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def sweep_login_throttles_job(context: Any) -> int:
    """For `seddel worker`, hourly. `context` is app.ops.jobs.JobContext."""
    async with context.sessions() as db:
        return await sweep_login_throttles(db, now=context.now)


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
        rows = await _throttles(db, keys)
        locked = [r.locked_until for r in rows.values() if r.locked_until and r.locked_until > now]
        if locked:
            retry_after = int((max(locked) - now).total_seconds()) + 1
            log.warning("login refused: locked", extra={"email": key, "address": client_address})
            raise TooManyAttempts(retry_after)
        user = await db.scalar(select(User).where(User.email_key == key))
        ok = await _verify(settings, user.password_hash if user else None, password)
        if not ok or user is None or not user.is_active:
            _record_failure(db, rows, keys[0], settings.login_max_failures, settings)
            if client_address:
                _record_failure(
                    db, rows, keys[1], settings.login_max_failures_per_address, settings
                )
            failed = True
        else:
            failed = False
            await db.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
            assert user.password_hash is not None
            if hasher_for(settings).check_needs_rehash(user.password_hash):
                user.password_hash = await hash_password(settings, password)
            second = await step_up.second_step(db, user.id)
            if second is step_up.SecondStep.VERIFY:
                challenge = step_up.issue_challenge(
                    db, user, label=device_label, address=client_address, user_agent=user_agent
                )
            else:
                token, session = _new_session(
                    settings,
                    user,
                    kind="user",
                    label=device_label,
                    address=client_address,
                    user_agent=user_agent,
                )
                if second is step_up.SecondStep.ENROL:
                    step_up.limit_to_enrolment(session)
                db.add(session)
    if failed:
        log.warning("login failed", extra={"email": key, "address": client_address})
        raise InvalidCredentials()
    assert user is not None
    if second is step_up.SecondStep.VERIFY:
        log.info("login awaits its second factor", extra={"user_id": str(user.id)})
        return challenge
    log.info("login succeeded", extra={"user_id": str(user.id), "address": client_address})
    return LoginResult(token=token, session=session, user=user)


def _new_session(
    settings: Settings,
    user: User,
    *,
    kind: str,
    label: str | None,
    address: str | None,
    user_agent: str | None,
) -> tuple[str, AuthSession]:
    token = secrets.token_urlsafe(32)  # 256 bits of randomness
    now = utcnow()
    device = kind == "device"
    lifetime = (
        settings.device_session_lifetime_seconds if device else settings.session_lifetime_seconds
    )
    idle = (
        settings.device_session_idle_timeout_seconds
        if device
        else settings.session_idle_timeout_seconds
    )
    session = AuthSession(
        id=new_id(),
        user_id=user.id,
        token_hash=hash_token(token),
        kind=kind,
        device_label=(label or "")[:200] or None,
        client_address=address,
        user_agent=(user_agent or "")[:300] or None,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(seconds=lifetime),
        idle_timeout_seconds=idle,
    )
    return token, session


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
        if not await _verify(settings, user.password_hash, current_password):
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
