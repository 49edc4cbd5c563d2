"""What a login that passed its password still needs: the second factor's step-up.

- A person with a confirmed authenticator (app.accounts.service.second_factor) proves it:
  the login gets a short-lived, single-use challenge instead of a session, and
  `verify_challenge` turns challenge and code into the session.
- A person who must have one and has not enrolled yet gets a session of kind "enrolment":
  it reaches nothing (app.institutions.service.actor builds an Actor without memberships
  for it, so the database scope is empty too) and the API admits it only to the enrolment
  operations; confirming the authenticator makes it an ordinary session.
- Everyone else gets their session as before.

Who *must* is not this slice's to know (an institution's setting about its staff and
admins): the slices that decide register a `requirement` here, as event handlers register
(app.root.handlers imports them). Paired devices and tablet PIN sessions never pass through
here (app.accounts.service.devices): a tablet keeps its own PIN flow.

Kept apart from auth.py and second_factor.py so that the login imports this module alone."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuthSession, SecondFactor, SecondFactorChallenge, User
from app.core.actor import ENROLMENT_SESSION
from app.db import new_id, utcnow

# Long enough to open the authenticator app, short enough to be of little use when stolen.
CHALLENGE_LIFETIME = timedelta(minutes=5)
# A session that may only enrol (ENROLMENT_SESSION): time to install an app and scan a
# code, no more.
ENROLMENT_SESSION_LIFETIME = timedelta(minutes=30)
ENROLMENT_SESSION_IDLE = timedelta(minutes=15)

Requirement = Callable[[AsyncSession, uuid.UUID], Awaitable[bool]]
_requirements: list[Requirement] = []


def requirement(check: Requirement) -> Requirement:
    """Register a rule that may demand a second factor of a user (it is required when any
    rule says so). Rules run inside the caller's transaction and leave its scope as found."""
    if check not in _requirements:
        _requirements.append(check)
    return check


async def is_required(db: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether some registered rule demands a second factor of this user."""
    for check in _requirements:
        if await check(db, user_id):
            return True
    return False


class SecondStep(StrEnum):
    NONE = "none"
    VERIFY = "verify"  # enrolled: prove it before the session
    ENROL = "enrol"  # required, not enrolled: a session that may only enrol


async def is_enrolled(db: AsyncSession, user_id: uuid.UUID) -> bool:
    confirmed = await db.scalar(
        select(SecondFactor.confirmed_at).where(SecondFactor.user_id == user_id)
    )
    return confirmed is not None


async def second_step(db: AsyncSession, user_id: uuid.UUID) -> SecondStep:
    """What a login of this user that passed its password still needs."""
    if await is_enrolled(db, user_id):
        return SecondStep.VERIFY
    if await is_required(db, user_id):
        return SecondStep.ENROL
    return SecondStep.NONE


def hash_challenge(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Challenge:
    """A login waiting for its second factor: the token is shown once, to the client."""

    token: str
    expires_at: datetime
    user: User


def issue_challenge(
    db: AsyncSession,
    user: User,
    *,
    label: str | None,
    address: str | None,
    user_agent: str | None,
) -> Challenge:
    """A new single-use challenge, added to the caller's transaction."""
    token = secrets.token_urlsafe(32)  # 256 bits of randomness
    now = utcnow()
    row = SecondFactorChallenge(
        id=new_id(),
        token_hash=hash_challenge(token),
        user_id=user.id,
        device_label=(label or "")[:200] or None,
        client_address=address,
        user_agent=(user_agent or "")[:300] or None,
        created_at=now,
        expires_at=now + CHALLENGE_LIFETIME,
    )
    db.add(row)
    return Challenge(token=token, expires_at=row.expires_at, user=user)


def limit_to_enrolment(session: AuthSession) -> None:
    """Make a new session one that may only enrol a second factor, and only briefly."""
    session.kind = ENROLMENT_SESSION
    session.expires_at = session.created_at + ENROLMENT_SESSION_LIFETIME
    session.idle_timeout_seconds = int(ENROLMENT_SESSION_IDLE.total_seconds())
