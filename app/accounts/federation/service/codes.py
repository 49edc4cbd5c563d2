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
from app.accounts.service import step_up
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
) -> LoginResult | step_up.Challenge:
    """The app trades the one-time code of the callback for a session (once, within
    SEDDEL_LOGIN_CODE_LIFETIME), decided as `login` decides (start_session): a challenge for
    `verifySecondFactor` when the person has an authenticator, a session that may only enrol
    when they must have one and have none; unless the code's provider counts as the second
    factor. Failures are throttled per address."""
    keys = [f"login-code:ip:{client_address}"] if client_address else []
    now = utcnow()
    async with write_transaction(db):
        rows = await check_not_locked(db, keys)
        row = (
            await db.execute(
                select(LoginCode, User, OidcProvider.counts_as_second_factor)
                .join(User, User.id == LoginCode.user_id)
                .join(OidcProvider, OidcProvider.id == LoginCode.provider_id)
                .where(LoginCode.code_hash == hash_token(code[:200]))
            )
        ).first()
        result: LoginResult | step_up.Challenge | None = None
        if row is not None:
            login_code, user, provider_is_second_factor = row
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
                # The provider's login stands for the second factor only where the operator
                # said it is multi-factor; otherwise the step-up is `login`'s.
                result = await start_session(
                    db,
                    settings,
                    user,
                    label=device_label,
                    address=client_address,
                    user_agent=user_agent,
                    second_factor_by_provider=provider_is_second_factor,
                )
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
