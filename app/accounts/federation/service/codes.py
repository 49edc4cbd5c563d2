"""One-time login codes: what the callback hands the app, traded once for a session."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.federation.models import LoginCode, OidcLoginFlow, OidcProvider
from app.accounts.models import User
from app.accounts.service.sessions import LoginResult, hash_token, start_session
from app.accounts.service.throttling import check_not_locked, record_failure
from app.config import Settings
from app.core.errors import InvalidCredentials
from app.db import utcnow, write_transaction

log = logging.getLogger("seddel.auth.oidc")


def new_login_code(db: AsyncSession, settings: Settings, user: User, provider: OidcProvider) -> str:
    code = secrets.token_urlsafe(32)  # 256 bits
    now = utcnow()
    db.add(
        LoginCode(
            code_hash=hash_token(code),
            user_id=user.id,
            provider_id=provider.id,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.login_code_lifetime_seconds),
        )
    )
    return code


# --- Login codes -----------------------------------------------------------------------------


async def exchange_login_code(
    *,
    db: AsyncSession,
    settings: Settings,
    code: str,
    client_address: str | None,
    device_label: str | None = None,
    user_agent: str | None = None,
) -> LoginResult:
    """The app trades the one-time code of the callback for a session (once, within
    SEDDEL_LOGIN_CODE_LIFETIME). Failures are throttled per address."""
    keys = [f"login-code:ip:{client_address}"] if client_address else []
    now = utcnow()
    async with write_transaction(db):
        rows = await check_not_locked(db, keys)
        row = (
            await db.execute(
                select(LoginCode, User)
                .join(User, User.id == LoginCode.user_id)
                .where(LoginCode.code_hash == hash_token(code[:200]))
            )
        ).first()
        result: LoginResult | None = None
        if row is not None:
            login_code, user = row
            claimed = await db.execute(
                update(LoginCode)
                .where(LoginCode.id == login_code.id, LoginCode.used_at.is_(None))
                .values(used_at=now)
            )
            if (
                getattr(claimed, "rowcount", 0) == 1
                and login_code.expires_at > now
                and (user.is_active)
            ):
                started = await start_session(
                    db,
                    settings,
                    user,
                    label=device_label,
                    address=client_address,
                    user_agent=user_agent,
                    second_factor_by_provider=True,
                )
                assert isinstance(started, LoginResult)  # no step-up: never a challenge
                result = started
        if result is None and keys:
            record_failure(db, rows, keys[0], settings.login_max_failures_per_address, settings)
    if result is None:
        log.warning("login code refused", extra={"address": client_address})
        raise InvalidCredentials("login_code_invalid", field="code")
    return result


async def sweep_federated_logins(db: AsyncSession, *, now: datetime) -> int:
    """Forget login flows and login codes whose time is over (used or not): a used one keeps
    refusing its replay only until it expires, and after that an expired one refuses it too."""
    async with write_transaction(db):
        flows = await db.execute(delete(OidcLoginFlow).where(OidcLoginFlow.expires_at < now))
        codes = await db.execute(delete(LoginCode).where(LoginCode.expires_at < now))
    return sum(int(getattr(result, "rowcount", 0) or 0) for result in (flows, codes))


async def sweep_federated_logins_job(context: Any) -> int:
    """For `seddel worker`, hourly. `context` is app.ops.jobs.JobContext."""
    async with context.sessions() as db:
        return await sweep_federated_logins(db, now=context.now)
