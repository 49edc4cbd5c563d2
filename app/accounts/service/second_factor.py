"""Two factors: a TOTP authenticator (RFC 6238, pyotp) and ten single-use recovery codes.

Enrolment gives a fresh secret as a provisioning URI (for a QR code) once; the secret is
stored encrypted (AES-GCM, key derived from SEDDEL_SECRET_KEY, bound to the user's id) and no
operation ever returns it again. The first code from the app confirms it and yields the
recovery codes, shown once and stored as SHA-256. A code of a time step already used (or an
earlier one) is refused: no replay. Every wrong code counts against the person and the
client address in the login throttle (app.accounts.service.auth), as a wrong password does.
The step-up of a login itself starts in app.accounts.service.step_up."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import pyotp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import (
    AuthSession,
    LoginThrottle,
    RecoveryCode,
    SecondFactor,
    SecondFactorChallenge,
    User,
)
from app.accounts.service import step_up
from app.accounts.service.sessions import LoginResult, new_session
from app.accounts.service.throttling import check_not_locked, record_failure
from app.config import Settings
from app.core.actor import Actor
from app.core.errors import (
    Conflict,
    InvalidCredentials,
    NotFound,
    ValidationFailed,
)
from app.db import utcnow, write_transaction

log = logging.getLogger("seddel.second_factor")

ISSUER = "Seddel"
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_BYTES = 10  # 80 bits: 16 base32 characters, written in four groups
# Clock drift between the phone and the server: one 30-second step either way.
VALID_WINDOW = 1
TOTP_PATTERN = re.compile(r"^[0-9]{6}$")
MAX_CODE_LENGTH = 64


# --- the secret at rest ---------------------------------------------------------------------


@lru_cache(maxsize=4)
def _cipher(secret_key: str) -> AESGCM:
    key = HKDF(
        algorithm=SHA256(), length=32, salt=None, info=b"seddel second factor secret"
    ).derive(secret_key.encode())
    return AESGCM(key)


def seal(settings: Settings, user_id: uuid.UUID, secret: str) -> str:
    """The secret encrypted for this user's row only (the user's id is the associated data:
    a sealed secret copied to another row does not open)."""
    nonce = os.urandom(12)
    sealed = _cipher(settings.secret_key).encrypt(nonce, secret.encode(), user_id.bytes)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(settings: Settings, user_id: uuid.UUID, stored: str) -> str:
    raw = base64.urlsafe_b64decode(stored.encode())
    return _cipher(settings.secret_key).decrypt(raw[:12], raw[12:], user_id.bytes).decode()


# --- codes ----------------------------------------------------------------------------------


def _normalized(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_normalized(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode().lower()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose TOTP code this is (within the drift window), or None."""
    code = _normalized(code)
    if not TOTP_PATTERN.match(code):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(at)
    found = None
    # Every step of the window is compared (no early exit): the time taken tells nothing.
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


# --- the throttle ---------------------------------------------------------------------------


def _keys(settings: Settings, user_id: uuid.UUID, address: str | None) -> list[tuple[str, int]]:
    keys = [(f"second-factor:{user_id}", settings.login_max_failures)]
    if address:
        keys.append((f"ip:{address}", settings.login_max_failures_per_address))
    return keys


@dataclass
class _Check:
    """One code checked against a person's factor, inside the caller's transaction."""

    ok: bool = False
    used_recovery_code: bool = False


async def _check_code(
    db: AsyncSession,
    settings: Settings,
    factor: SecondFactor,
    code: str,
    *,
    allow_recovery: bool,
) -> _Check:
    """Accept a TOTP code of a step after the last one used, or an unused recovery code;
    either is spent at once (the conditional UPDATE makes two concurrent uses one)."""
    now = utcnow()
    if len(code) > MAX_CODE_LENGTH:
        return _Check()
    secret = unseal(settings, factor.user_id, factor.secret_encrypted)
    step = matching_step(secret, code, now)
    if step is not None:
        spent = await db.execute(
            update(SecondFactor)
            .where(
                SecondFactor.user_id == factor.user_id,
                or_(SecondFactor.last_used_step.is_(None), SecondFactor.last_used_step < step),
            )
            .values(last_used_step=step)
            .execution_options(synchronize_session=False)
        )
        return _Check(ok=_rowcount(spent) == 1)
    if not allow_recovery:
        return _Check()
    spent = await db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == factor.user_id,
            RecoveryCode.code_hash == hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    ok = _rowcount(spent) >= 1
    return _Check(ok=ok, used_recovery_code=ok)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def _verified(
    db: AsyncSession,
    settings: Settings,
    factor: SecondFactor,
    code: str,
    *,
    address: str | None,
    allow_recovery: bool = True,
) -> bool:
    """Throttled check of a code: False after recording the failure (the caller commits
    it and then refuses), True after clearing the person's failures."""
    keys = _keys(settings, factor.user_id, address)
    rows = await check_not_locked(db, [key for key, _ in keys])
    check = await _check_code(db, settings, factor, code, allow_recovery=allow_recovery)
    if not check.ok:
        for key, limit in keys:
            record_failure(db, rows, key, limit, settings)
        return False
    await db.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0][0]))
    if check.used_recovery_code:
        log.info("recovery code used", extra={"user_id": str(factor.user_id)})
    return True


def _refuse_devices(actor: Actor) -> None:
    """A person's authenticator is managed from their own login, never from a tablet."""
    if actor.device is not None:
        raise NotFound(field="code")


def _wrong_code() -> InvalidCredentials:
    return InvalidCredentials("wrong_second_factor_code", field="code")


# --- use cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    provisioning_uri: str
    secret: str


async def enrol(*, db: AsyncSession, settings: Settings, actor: Actor) -> Enrolment:
    """A new, unconfirmed authenticator secret for the actor, shown this once as a
    provisioning URI (a QR code) and as text to type. Starting again replaces an
    unconfirmed one; a confirmed one must be turned off first."""
    _refuse_devices(actor)
    secret = pyotp.random_base32()
    async with write_transaction(db):
        factor = await db.get(SecondFactor, actor.user_id)
        if factor is not None and factor.confirmed_at is not None:
            raise Conflict("second_factor_already_enrolled")
        sealed = seal(settings, actor.user_id, secret)
        if factor is None:
            db.add(SecondFactor(user_id=actor.user_id, secret_encrypted=sealed))
        else:
            factor.secret_encrypted, factor.created_at = sealed, utcnow()
            factor.last_used_step = None
    uri = pyotp.TOTP(secret).provisioning_uri(name=actor.email, issuer_name=ISSUER)
    return Enrolment(provisioning_uri=uri, secret=secret)


async def confirm(
    *, db: AsyncSession, settings: Settings, actor: Actor, code: str, address: str | None
) -> list[str]:
    """The first code from the app confirms the authenticator: answers the ten recovery
    codes (shown once). A session that could only enrol becomes an ordinary one."""
    _refuse_devices(actor)
    async with write_transaction(db):
        factor = await db.get(SecondFactor, actor.user_id)
        if factor is None:
            raise ValidationFailed("second_factor_not_enrolled", field="code")
        if factor.confirmed_at is not None:
            raise Conflict("second_factor_already_enrolled")
        ok = await _verified(db, settings, factor, code, address=address, allow_recovery=False)
        if ok:
            now = utcnow()
            factor.confirmed_at = now
            codes = await _replace_recovery_codes(db, actor.user_id)
            if actor.may_only_enrol and actor.session_id:
                await db.execute(
                    update(AuthSession)
                    .where(AuthSession.id == actor.session_id)
                    .values(
                        kind="user",
                        expires_at=now + timedelta(seconds=settings.session_lifetime_seconds),
                        idle_timeout_seconds=settings.session_idle_timeout_seconds,
                        last_used_at=now,
                    )
                )
    if not ok:
        raise _wrong_code()
    log.info("second factor enrolled", extra={"user_id": str(actor.user_id)})
    return codes


async def _replace_recovery_codes(db: AsyncSession, user_id: uuid.UUID) -> list[str]:
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.add_all(RecoveryCode(user_id=user_id, code_hash=hash_recovery_code(c)) for c in codes)
    return codes


async def _confirmed_factor(db: AsyncSession, user_id: uuid.UUID) -> SecondFactor:
    factor = await db.get(SecondFactor, user_id)
    if factor is None or factor.confirmed_at is None:
        raise ValidationFailed("second_factor_not_enrolled", field="code")
    return factor


async def verify_challenge(
    *,
    db: AsyncSession,
    settings: Settings,
    challenge: str,
    code: str,
    client_address: str | None,
) -> LoginResult:
    """Complete a login: its challenge and a code of the authenticator (or a recovery code)
    give the session. The challenge is spent by the first right code; an unknown, expired
    or spent challenge gets one answer."""
    now = utcnow()
    async with write_transaction(db):
        found = None
        if 0 < len(challenge) <= 200:
            found = (
                await db.execute(
                    select(SecondFactorChallenge, User, SecondFactor)
                    .join(User, User.id == SecondFactorChallenge.user_id)
                    .join(SecondFactor, SecondFactor.user_id == SecondFactorChallenge.user_id)
                    .where(SecondFactorChallenge.token_hash == step_up.hash_challenge(challenge))
                )
            ).first()
        if (
            found is None
            or found[0].used_at is not None
            or found[0].expires_at <= now
            or not found[1].is_active
            or found[2].confirmed_at is None
        ):
            raise InvalidCredentials("second_factor_challenge_invalid", field="challenge")
        row, user, factor = found
        ok = await _verified(db, settings, factor, code, address=client_address)
        if ok:
            spent = await db.execute(
                update(SecondFactorChallenge)
                .where(SecondFactorChallenge.id == row.id, SecondFactorChallenge.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(spent) != 1:
                raise InvalidCredentials("second_factor_challenge_invalid", field="challenge")
            token, session = new_session(
                settings,
                user,
                kind="user",
                label=row.device_label,
                address=row.client_address,
                user_agent=row.user_agent,
            )
            db.add(session)
    if not ok:
        log.warning("second factor refused", extra={"user_id": str(user.id)})
        raise _wrong_code()
    log.info("login succeeded with second factor", extra={"user_id": str(user.id)})
    return LoginResult(token=token, session=session, user=user)


async def regenerate_recovery_codes(
    *, db: AsyncSession, settings: Settings, actor: Actor, code: str, address: str | None
) -> list[str]:
    """Ten new recovery codes for a code of the authenticator; the old ones stop working."""
    _refuse_devices(actor)
    async with write_transaction(db):
        factor = await _confirmed_factor(db, actor.user_id)
        ok = await _verified(db, settings, factor, code, address=address, allow_recovery=False)
        codes = await _replace_recovery_codes(db, actor.user_id) if ok else []
    if not ok:
        raise _wrong_code()
    return codes


async def disable(
    *, db: AsyncSession, settings: Settings, actor: Actor, code: str, address: str | None
) -> None:
    """Turn the second factor off with a code of it (or a recovery code). Refused while an
    institution of the actor requires one."""
    _refuse_devices(actor)
    async with write_transaction(db):
        factor = await _confirmed_factor(db, actor.user_id)
        if await step_up.is_required(db, actor.user_id):
            raise ValidationFailed("second_factor_required")
        ok = await _verified(db, settings, factor, code, address=address)
        if ok:
            await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == actor.user_id))
            await db.execute(
                delete(SecondFactorChallenge).where(SecondFactorChallenge.user_id == actor.user_id)
            )
            await db.delete(factor)
    if not ok:
        raise _wrong_code()
    log.info("second factor disabled", extra={"user_id": str(actor.user_id)})


@dataclass(frozen=True)
class Status:
    enrolled: bool
    confirmed_at: datetime | None
    recovery_codes_left: int
    required: bool


async def status(*, db: AsyncSession, actor: Actor) -> Status:
    """The actor's second factor as they may see it (never the secret)."""
    confirmed_at = await db.scalar(
        select(SecondFactor.confirmed_at).where(SecondFactor.user_id == actor.user_id)
    )
    left = 0
    if confirmed_at is not None:
        left = int(
            await db.scalar(
                select(func.count())
                .select_from(RecoveryCode)
                .where(RecoveryCode.user_id == actor.user_id, RecoveryCode.used_at.is_(None))
            )
            or 0
        )
    required = actor.device is None and await step_up.is_required(db, actor.user_id)
    return Status(
        enrolled=confirmed_at is not None,
        confirmed_at=confirmed_at,
        recovery_codes_left=left,
        required=required,
    )


async def sweep_challenges(db: AsyncSession, *, now: datetime) -> int:
    """Forget challenges that have expired (spent or not)."""
    async with write_transaction(db):
        result = await db.execute(
            delete(SecondFactorChallenge).where(SecondFactorChallenge.expires_at < now)
        )
    return _rowcount(result)


async def sweep_challenges_job(context: Any) -> int:
    """For `seddel worker`, hourly. `context` is app.ops.jobs.JobContext."""
    async with context.sessions() as db:
        return await sweep_challenges(db, now=context.now)
