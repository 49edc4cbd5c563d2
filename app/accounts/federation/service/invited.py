"""Accepting an invitation by signing in with the municipality's identity provider.

The invitation's token is a bearer secret that lives 14 days and already travels in the
invitation mail's link; it must not travel further. So the app sends it once, in a
mutation's body (`startInvitationLogin`), which checks it (changing nothing) and answers with
a start address carrying a different secret: a single-use hand-off that lives as long as a
login flow (ten minutes) and is stored as its SHA-256. The flow row keeps the SHA-256 of the
invitation's token, never the token. At the callback, once the ID token passed its checks,
the invitation is spent, the identity linked to the invitee and the usual one-time login code
handed out, in one transaction: a refused invitation or a conflicting link changes nothing.

Which municipality an invitation's institution belongs to is the institutions slice's to know:
it registers `municipality_of_institution` here (app.root.handlers imports it), as it
registers its second-factor rule with step_up."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from authlib.common.security import generate_token
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.federation.models import OidcLoginFlow, OidcProvider
from app.accounts.federation.service.codes import new_login_code
from app.accounts.federation.service.identities import link_identity_by_invitation
from app.accounts.federation.service.providers import active_provider, hash_value
from app.accounts.models import User
from app.accounts.service import invitations
from app.accounts.service.throttling import check_not_locked, record_failure
from app.config import Settings
from app.core.errors import Conflict, ValidationFailed
from app.db import utcnow, write_transaction

log = logging.getLogger("seddel.auth.oidc")

MunicipalityOf = Callable[[AsyncSession, uuid.UUID], Awaitable[uuid.UUID | None]]
_municipality_of: list[MunicipalityOf] = []


def municipality_of_institution(lookup: MunicipalityOf) -> MunicipalityOf:
    """Register how to find an institution's municipality (within the caller's scope)."""
    _municipality_of[:] = [lookup]
    return lookup


async def _municipality(db: AsyncSession, institution_id: uuid.UUID) -> uuid.UUID | None:
    # Nobody registered: no provider is the invitation's (refused, never waved through).
    return await _municipality_of[0](db, institution_id) if _municipality_of else None


def return_target(settings: Settings, return_to: str | None, *, field: str) -> str:
    """Where the callback may send the browser: one of the configured return addresses."""
    target = return_to or (settings.oidc_return_uris[0] if settings.oidc_return_uris else "")
    if target not in settings.oidc_return_uris:
        raise ValidationFailed("return_uri_not_allowed", field=field)
    return target


@dataclass(frozen=True)
class StartedInvitationLogin:
    # /auth/oidc/{provider}/start?flow=<hand-off>: open it in the system browser.
    start_url: str
    expires_at: datetime


async def start_invitation_login(
    *,
    db: AsyncSession,
    settings: Settings,
    slug: str,
    token: str,
    return_to: str | None,
    client_address: str | None,
) -> StartedInvitationLogin:
    """Prepare a login at the provider that will accept this invitation. The token is checked
    (a token that does not work gets INVITATION_INVALID and counts against the client's
    address as at `acceptInvitation`) but not spent: that happens at the callback."""
    target = return_target(settings, return_to, field="returnTo")
    key = invitations.throttle_key(client_address)
    wanted = invitations.token_hash_of(token)
    now = utcnow()
    async with write_transaction(db):
        rows = await check_not_locked(db, [key])
        # The token first: it is the credential, and whoever lacks it learns nothing more.
        found = await invitations.pending(db, wanted, now)
        if found is None:
            record_failure(db, rows, key, settings.login_max_failures_per_address, settings)
        else:
            _, invitation = found
            provider = await active_provider(db, slug)
            if await _municipality(db, invitation.institution_id) != provider.municipality_id:
                raise ValidationFailed("oidc_provider_not_for_invitation", field="provider")
            handoff = secrets.token_urlsafe(32)  # 256 bits
            expires_at = now + timedelta(seconds=settings.oidc_flow_lifetime_seconds)
            db.add(
                OidcLoginFlow(
                    # Hashes of values nobody holds until /start?flow= sets the real ones.
                    state_hash=hash_value(secrets.token_urlsafe(32)),
                    browser_hash=hash_value(secrets.token_urlsafe(32)),
                    provider_id=provider.id,
                    nonce=secrets.token_urlsafe(32),
                    code_verifier=generate_token(64),
                    return_to=target,
                    handoff_hash=hash_value(handoff),
                    invitation_token_hash=wanted,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
    if found is None:
        log.warning("invitation refused for federated login", extra={"address": client_address})
        raise invitations.invitation_invalid()
    base = settings.public_url.rstrip("/")
    query = urlencode({"flow": handoff})
    return StartedInvitationLogin(
        start_url=f"{base}/auth/oidc/{provider.slug}/start?{query}", expires_at=expires_at
    )


async def sign_in_options(
    *, db: AsyncSession, settings: Settings, token: str, client_address: str | None
) -> list[OidcProvider]:
    """The active identity providers of the invitation's institution's municipality, with
    which `start_invitation_login` may accept it (none: only a password will do). The token is
    checked as there, throttled alike, and not spent."""
    key = invitations.throttle_key(client_address)
    wanted = invitations.token_hash_of(token)
    now = utcnow()
    offered: list[OidcProvider] = []
    async with write_transaction(db):
        rows = await check_not_locked(db, [key])
        found = await invitations.pending(db, wanted, now)
        if found is None:
            record_failure(db, rows, key, settings.login_max_failures_per_address, settings)
        else:
            municipality_id = await _municipality(db, found[1].institution_id)
            offered = list(
                (
                    await db.scalars(
                        select(OidcProvider)
                        .where(
                            OidcProvider.municipality_id == municipality_id,
                            OidcProvider.is_active.is_(True),
                        )
                        .order_by(OidcProvider.slug)
                    )
                ).all()
            )
    if found is None:
        log.warning("invitation refused for sign-in options", extra={"address": client_address})
        raise invitations.invitation_invalid()
    return offered


async def accept_at_callback(
    db: AsyncSession, settings: Settings, provider: OidcProvider, flow: OidcLoginFlow, subject: str
) -> tuple[User, str] | None:
    """Spend the flow's invitation, link (provider, subject) to its invitee and make a login
    code, all or nothing. None when the invitation no longer works (used, revoked, expired or
    sent again meanwhile); Conflict when the invitee has another identity at this provider or
    this identity belongs to someone else."""
    assert flow.invitation_token_hash is not None
    now = utcnow()
    slug = provider.slug  # a rollback expires the row: read it before
    try:
        async with write_transaction(db):
            accepted = await invitations.accept_signed_in(db, flow.invitation_token_hash, now)
            if accepted is None:
                return None
            user, _ = accepted
            await link_identity_by_invitation(
                db=db, provider_id=provider.id, subject=subject, user_id=user.id
            )
            code = new_login_code(db, settings, user, provider)
    except Conflict:
        log.warning("invitation refused: identity linked otherwise", extra={"provider": slug})
        raise
    log.info("invitation accepted with a federated login", extra={"user_id": str(user.id)})
    return user, code
