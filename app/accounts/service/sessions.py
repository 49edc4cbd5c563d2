"""How a session starts: the one decision every sign-in of a person makes (a password at
`login`, an invitation at `acceptInvitation`, a federated login's code at `exchangeLoginCode`)
about the second factor's step-up (app.accounts.service.step_up), and the session itself."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuthSession, User
from app.accounts.service import step_up
from app.config import Settings
from app.db import new_id, utcnow


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    token: str
    session: AuthSession
    user: User


def new_session(
    settings: Settings,
    user: User,
    *,
    kind: str,
    label: str | None,
    address: str | None,
    user_agent: str | None,
) -> tuple[str, AuthSession]:
    """A new session of `kind` ("user", "device") and its token, shown once: only the
    token's SHA-256 is kept. Not added to the database: the caller decides. A person's
    sign-in goes through `start_session`, which decides about the second factor first."""
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


async def start_session(
    db: AsyncSession,
    settings: Settings,
    user: User,
    *,
    label: str | None,
    address: str | None,
    user_agent: str | None,
    second_factor_by_provider: bool = False,
) -> LoginResult | step_up.Challenge:
    """A person proved who they are: their session, added to the caller's transaction, or,
    when they have an authenticator, a challenge that `verifySecondFactor` turns into the
    session. A person who must have one and has none gets a session that may only enrol.

    `second_factor_by_provider`: a federated login at an identity provider whose own login
    is multi-factor and which the operator marked so (OidcProvider.counts_as_second_factor),
    so neither is asked for. Any other federated login decides as a password does."""
    second = (
        step_up.SecondStep.NONE
        if second_factor_by_provider
        else await step_up.second_step(db, user.id)
    )
    if second is step_up.SecondStep.VERIFY:
        return step_up.issue_challenge(
            db, user, label=label, address=address, user_agent=user_agent
        )
    token, session = new_session(
        settings, user, kind="user", label=label, address=address, user_agent=user_agent
    )
    if second is step_up.SecondStep.ENROL:
        step_up.limit_to_enrolment(session)
    db.add(session)
    return LoginResult(token=token, session=session, user=user)
