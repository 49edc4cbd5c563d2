"""Federated identities: which Seddel user a (provider, subject) is, and how links are made.

Never by name; never a new user. A CPR number is dropped from the claims before anyone looks."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.federation.models import (
    FederatedIdentity,
    OidcProvider,
)
from app.accounts.models import User
from app.accounts.service.auth import (
    email_key,
)
from app.core.errors import (
    Conflict,
    ValidationFailed,
)
from app.db import utcnow

# a claim whose name speaks of CPR, or whose value looks like one, is dropped before anything
# else sees the claims.
CPR_VALUE = re.compile(r"^\s*\d{6}-?\d{4}\s*$")


def without_cpr(claims: dict[str, Any]) -> dict[str, Any]:
    """The claims less every CPR number, by name or by look; nested objects too."""
    kept: dict[str, Any] = {}
    for name, value in claims.items():
        if "cpr" in name.lower():
            continue
        if isinstance(value, str) and CPR_VALUE.match(value):
            continue
        kept[name] = without_cpr(value) if isinstance(value, dict) else value
    return kept


async def linked_user(
    db: AsyncSession, provider: OidcProvider, subject: str, claims: dict[str, Any]
) -> User | None:
    """The active user this identity is linked to; or, for a provider trusted for e-mail, the
    active user with the verified address, then linked. Never by name; never a new user."""
    row = (
        await db.execute(
            select(FederatedIdentity, User)
            .join(User, User.id == FederatedIdentity.user_id)
            .where(
                FederatedIdentity.provider_id == provider.id, FederatedIdentity.subject == subject
            )
        )
    ).first()
    if row is not None:
        identity, user = row
        if not user.is_active:
            return None
        identity.last_login_at = utcnow()
        return user
    email = claims.get("email")
    if provider.trusts_email and claims.get("email_verified") is True and isinstance(email, str):
        user = await db.scalar(select(User).where(User.email_key == email_key(email)))
        if user is not None and user.is_active:
            await link_identity(
                db=db,
                provider_id=provider.id,
                subject=subject,
                user_id=user.id,
                linked_by="verified_email",
            )
            return user
    return None


# --- Linking ---------------------------------------------------------------------------------


async def link_identity(
    *,
    db: AsyncSession,
    provider_id: uuid.UUID,
    subject: str,
    user_id: uuid.UUID,
    linked_by: str,
) -> FederatedIdentity:
    """Link (provider, subject) to a user. Call inside the caller's transaction. Linking it
    again to the same user is a no-op; to another user, or a second identity of the same
    provider to one user, is a conflict."""
    existing = (
        await db.scalars(
            select(FederatedIdentity).where(
                FederatedIdentity.provider_id == provider_id,
                (FederatedIdentity.subject == subject) | (FederatedIdentity.user_id == user_id),
            )
        )
    ).all()
    for identity in existing:
        if identity.subject == subject and identity.user_id == user_id:
            return identity
    if existing:
        raise Conflict("identity_already_linked", field="provider")
    identity = FederatedIdentity(
        provider_id=provider_id, subject=subject, user_id=user_id, linked_by=linked_by
    )
    db.add(identity)
    await db.flush()
    return identity


async def link_identity_by_invitation(
    *, db: AsyncSession, provider_id: uuid.UUID, subject: str, user_id: uuid.UUID
) -> FederatedIdentity:
    """THE HOOK for invitations: the invitee accepted their invitation (for `user_id`) while
    signed in with this provider as `subject`. Call it inside the acceptance's transaction,
    after the invitation was checked and consumed; the invitation's own rules decide who."""
    if not subject or len(subject) > 255 or CPR_VALUE.match(subject):
        raise ValidationFailed("oidc_subject_missing", field="subject")
    return await link_identity(
        db=db, provider_id=provider_id, subject=subject, user_id=user_id, linked_by="invitation"
    )
