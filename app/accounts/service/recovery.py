"""Use cases of a forgotten password: ask for a reset link, set a new password with it.

Asking tells nothing about whether the address has an account: the answer is the same, and
so is the work: the same statements with the same shapes, no password hashing on either
path, no early return. A token row and an outbox row are written whether or not an account
has the address (then with no user; the worker sends nothing for it). Throttled per typed
address and per client with the login throttle's rules (app.accounts.service.auth).

The link's token is minted by the mail's sender (`mint_token`) at the moment it sends: 256
bits from `secrets`, only its SHA-256 stored. Using it looks the hash up and compares it in
constant time; a used, expired, superseded or unknown token is one error, InvalidToken,
and nothing changes."""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.events import AccountMailRequested
from app.accounts.models import AccountToken, LoginThrottle, User
from app.accounts.service.auth import (
    email_key,
    hash_password,
    hash_token,
    revoke_sessions_of,
    validate_email,
    validate_new_password,
)
from app.accounts.service.throttling import check_not_locked, record_failure
from app.config import Settings
from app.core import events
from app.core.errors import InvalidToken
from app.db import new_id, utcnow, write_transaction

log = logging.getLogger("seddel.auth")

# secrets.token_urlsafe(32): 256 bits in 43 characters. Anything much longer is no token.
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100


def throttle_keys(address: str, client_address: str | None) -> list[str]:
    """The reset's own keys in the login throttle table: a reset does not lock the login."""
    return [f"reset:email:{address}"] + ([f"reset:ip:{client_address}"] if client_address else [])


async def request_password_reset(
    *, db: AsyncSession, settings: Settings, email: str, client_address: str | None
) -> None:
    """Mail a one-hour, single-use reset link to the account with this address, if any.
    Answers the same either way (see the module's docstring)."""
    address = email_key(validate_email(email))
    keys = throttle_keys(address, client_address)
    now = utcnow()
    async with write_transaction(db):
        # Keyed by what was typed: a lock says nothing about an account.
        rows = await check_not_locked(db, keys)
        # None when no active account has the address: then every statement below is the
        # same, with a null where the id would be.
        user_id = await db.scalar(
            select(User.id).where(User.email_key == address, User.is_active.is_(True))
        )
        token_id = new_id()
        await db.execute(
            insert(AccountToken).values(
                id=token_id,
                user_id=user_id,
                purpose="password_reset",
                created_at=now,
                expires_at=now + timedelta(seconds=settings.password_reset_ttl_seconds),
            )
        )
        await events.record(
            db, AccountMailRequested(kind="password_reset", user_id=user_id, token_id=token_id)
        )
        # Every request counts, as a failed login does: a few per address, more per client.
        record_failure(db, rows, keys[0], settings.password_reset_max_per_address, settings)
        if client_address:
            record_failure(db, rows, keys[1], settings.password_reset_max_per_client, settings)
    log.info("password reset asked", extra={"address": client_address})


@dataclass(frozen=True)
class MintedToken:
    token: str
    new_email: str | None


async def mint_token(db: AsyncSession, *, token_id: uuid.UUID, now: datetime) -> MintedToken | None:
    """A fresh token for a link about to be mailed, its hash stored in the caller's
    transaction (commit it before handing the mail over). None when the link may no longer
    be sent: used, expired, superseded, or asked for an address no account has. A resend
    mints anew, so only the latest mail's link works."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    new_email = (
        await db.execute(
            update(AccountToken)
            .where(
                AccountToken.id == token_id,
                AccountToken.user_id.is_not(None),
                AccountToken.used_at.is_(None),
                AccountToken.expires_at > now,
            )
            .values(token_hash=hash_token(token))
            .returning(AccountToken.new_email)
        )
    ).first()
    return None if new_email is None else MintedToken(token=token, new_email=new_email[0])


async def redeem(
    db: AsyncSession, *, token: str, purpose: str, now: datetime
) -> tuple[AccountToken, User]:
    """The live token row and its (active) user, marked used in the caller's transaction;
    else InvalidToken, the same for every way a token can be wrong."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken()
    wanted = hash_token(token)
    row = (
        await db.execute(
            select(AccountToken, User)
            .join(User, User.id == AccountToken.user_id)
            .where(AccountToken.token_hash == wanted, AccountToken.purpose == purpose)
        )
    ).first()
    if row is None:
        raise InvalidToken()
    found, user = row
    # The index found it by hash; compare the whole hash in constant time all the same.
    if not hmac.compare_digest(found.token_hash or "", wanted):
        raise InvalidToken()
    if found.used_at is not None or found.expires_at <= now or not user.is_active:
        raise InvalidToken()
    found.used_at = now
    return found, user


async def reset_password(
    *, db: AsyncSession, settings: Settings, token: str, new_password: str
) -> User:
    """Set the password the reset link is for. Every session of the user ends (whoever
    knew the old password is signed out), the account's login lock is lifted, every other
    reset link of the user stops working, and the user is told by e-mail."""
    now = utcnow()
    async with write_transaction(db):
        found, user = await redeem(db, token=token, purpose="password_reset", now=now)
        validate_new_password(new_password, user_inputs=(user.name, user.email))
        user.password_hash = await hash_password(settings, new_password)
        await db.execute(
            update(AccountToken)
            .where(
                AccountToken.user_id == user.id,
                AccountToken.purpose == "password_reset",
                AccountToken.used_at.is_(None),
            )
            .values(used_at=now)
        )
        await revoke_sessions_of(db, user.id)
        await db.execute(
            delete(LoginThrottle).where(LoginThrottle.key == f"email:{user.email_key}")
        )
        await events.record(db, AccountMailRequested(kind="password_changed", user_id=user.id))
    log.info("password reset", extra={"user_id": str(user.id), "token_id": str(found.id)})
    return user


async def sweep_account_tokens(db: AsyncSession, *, now: datetime) -> int:
    """Forget tokens that ended a day ago (their mails go with them: cascade), and with
    them the trace of resets asked for addresses no account has."""
    async with write_transaction(db):
        result = await db.execute(
            delete(AccountToken).where(AccountToken.expires_at < now - timedelta(days=1))
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def sweep_account_tokens_job(context: Any) -> int:
    """For `seddel worker`, hourly. `context` is app.ops.jobs.JobContext."""
    async with context.sessions() as db:
        return await sweep_account_tokens(db, now=context.now)
