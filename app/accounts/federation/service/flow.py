"""The login flow: start at the provider, come back to the callback, end with a login code."""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.federation.models import (
    OidcLoginFlow,
    OidcProvider,
)
from app.accounts.federation.service.codes import new_login_code
from app.accounts.federation.service.identities import (
    linked_user,
    without_cpr,
)
from app.accounts.federation.service.invited import accept_at_callback, return_target
from app.accounts.federation.service.metadata import (
    PROVIDER_METADATA,
    SIGNING_ALGORITHMS,
    ProviderMetadata,
    ProviderUnavailable,
)
from app.accounts.federation.service.providers import (
    active_provider,
    hash_value,
    oauth_client,
)
from app.accounts.service.throttling import check_not_locked, load_throttles, record_failure
from app.config import Settings
from app.core.errors import InvalidCredentials
from app.db import utcnow, write_transaction

log = logging.getLogger("seddel.auth.oidc")

CLOCK_LEEWAY_SECONDS = 60


# --- Start -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartedLogin:
    authorization_url: str
    # Goes into an HttpOnly cookie: the callback must come back in the browser that started.
    browser_secret: str


async def start_login(
    *,
    db: AsyncSession,
    settings: Settings,
    slug: str,
    return_to: str | None,
    http: httpx.AsyncClient,
    metadata: ProviderMetadata = PROVIDER_METADATA,
    handoff: str | None = None,
) -> StartedLogin:
    """Begin the authorization code flow with PKCE, state and nonce at the provider. With a
    `handoff` (from `startInvitationLogin`), continue the flow prepared for an invitation
    instead: its return address was chosen then, and the hand-off is spent now."""
    target = None if handoff else return_target(settings, return_to, field="return_to")
    provider = await active_provider(db, slug)
    document = await metadata.discovery(
        provider.issuer, http=http, max_age=settings.oidc_metadata_cache_seconds
    )
    state, browser = (secrets.token_urlsafe(32) for _ in range(2))
    now = utcnow()
    async with write_transaction(db):
        if handoff:
            prepared = await _claim_handoff(db, provider, handoff, state, browser)
        else:
            assert target is not None
            prepared = OidcLoginFlow(
                state_hash=hash_value(state),
                browser_hash=hash_value(browser),
                provider_id=provider.id,
                nonce=secrets.token_urlsafe(32),
                code_verifier=generate_token(64),
                return_to=target,
                created_at=now,
                expires_at=now + timedelta(seconds=settings.oidc_flow_lifetime_seconds),
            )
            db.add(prepared)
    if prepared is None:
        log.warning("federated login refused: hand-off", extra={"provider": provider.slug})
        raise LoginRefused("oidc_state_invalid")
    async with oauth_client(settings, provider) as client:
        url, _ = client.create_authorization_url(
            document["authorization_endpoint"],
            state=state,
            code_verifier=prepared.code_verifier,
            nonce=prepared.nonce,
        )
    return StartedLogin(authorization_url=url, browser_secret=browser)


async def _claim_handoff(
    db: AsyncSession, provider: OidcProvider, handoff: str, state: str, browser: str
) -> OidcLoginFlow | None:
    """The flow prepared for an invitation, now bound to this state and browser; its
    hand-off spent whether or not it is good (once: a replay finds none)."""
    if len(handoff) > 200:
        return None
    flow = await db.scalar(
        select(OidcLoginFlow).where(OidcLoginFlow.handoff_hash == hash_value(handoff))
    )
    if flow is None:
        return None
    claimed = await db.execute(
        update(OidcLoginFlow)
        .where(OidcLoginFlow.id == flow.id, OidcLoginFlow.handoff_hash.is_not(None))
        .values(handoff_hash=None, state_hash=hash_value(state), browser_hash=hash_value(browser))
    )
    if (
        getattr(claimed, "rowcount", 0) != 1
        or flow.used_at is not None
        or flow.expires_at <= utcnow()
        or flow.provider_id != provider.id
    ):
        return None
    return flow


# --- Callback --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FinishedLogin:
    login_code: str
    return_to: str


class LoginRefused(InvalidCredentials):
    """The callback could not end in a session; `message_key` says why."""


def _address_key(client_address: str | None) -> list[str]:
    return [f"oidc:ip:{client_address}"] if client_address else []


async def _refuse(
    db: AsyncSession, settings: Settings, client_address: str | None, why: str
) -> LoginRefused:
    """Count a failed callback against the client's address and say why."""
    keys = _address_key(client_address)
    if keys:
        async with write_transaction(db):
            rows = await load_throttles(db, keys)
            record_failure(db, rows, keys[0], settings.login_max_failures_per_address, settings)
    log.warning("federated login refused", extra={"reason": why, "address": client_address})
    return LoginRefused(why)


async def _claim_flow(
    db: AsyncSession, slug: str, state: str, browser_secret: str | None
) -> tuple[OidcLoginFlow, OidcProvider] | None:
    """The flow this state started, marked used (once: a replayed state finds it used), if it
    is live, of this provider and started in this browser."""
    now = utcnow()
    row = (
        await db.execute(
            select(OidcLoginFlow, OidcProvider)
            .join(OidcProvider, OidcProvider.id == OidcLoginFlow.provider_id)
            .where(OidcLoginFlow.state_hash == hash_value(state))
        )
    ).first()
    if row is None:
        return None
    flow, provider = row
    claimed = await db.execute(
        update(OidcLoginFlow)
        .where(OidcLoginFlow.id == flow.id, OidcLoginFlow.used_at.is_(None))
        .values(used_at=now)
    )
    same_browser = hmac.compare_digest(hash_value(browser_secret or ""), flow.browser_hash)
    if (
        getattr(claimed, "rowcount", 0) != 1
        or flow.expires_at <= now
        or provider.slug != slug
        or not provider.is_active
        or not same_browser
    ):
        return None
    return flow, provider


async def finish_login(
    *,
    db: AsyncSession,
    settings: Settings,
    slug: str,
    state: str | None,
    code: str | None,
    error: str | None,
    browser_secret: str | None,
    client_address: str | None,
    http: httpx.AsyncClient,
    metadata: ProviderMetadata = PROVIDER_METADATA,
) -> FinishedLogin:
    """The provider sent the browser back: check state and browser, exchange the code (with
    the PKCE verifier), check the ID token (signature, iss, aud, exp, nonce), find the linked
    user and hand out a one-time login code. Every refusal counts against the address."""
    async with write_transaction(db):
        await check_not_locked(db, _address_key(client_address))
        claimed = await _claim_flow(db, slug, state, browser_secret) if state else None
    if claimed is None:
        raise await _refuse(db, settings, client_address, "oidc_state_invalid")
    flow, provider = claimed
    if error or not code:
        raise await _refuse(db, settings, client_address, "oidc_provider_refused")
    try:
        claims = await _verified_claims(settings, provider, flow, code, http, metadata)
    except LoginRefused as refused:
        raise await _refuse(db, settings, client_address, refused.message_key) from None
    subject = claims.get(provider.subject_claim)
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise await _refuse(db, settings, client_address, "oidc_subject_missing")
    if flow.invitation_token_hash is not None:
        accepted = await accept_at_callback(db, settings, provider, flow, subject)
        if accepted is None:
            raise await _refuse(db, settings, client_address, "invitation_invalid")
        return FinishedLogin(login_code=accepted[1], return_to=flow.return_to)
    async with write_transaction(db):
        user = await linked_user(db, provider, subject, claims)
        if user is not None:
            login_code = new_login_code(db, settings, user, provider)
    if user is None:
        raise await _refuse(db, settings, client_address, "oidc_account_unknown")
    log.info(
        "federated login",
        extra={"user_id": str(user.id), "provider": provider.slug, "address": client_address},
    )
    return FinishedLogin(login_code=login_code, return_to=flow.return_to)


async def _verified_claims(
    settings: Settings,
    provider: OidcProvider,
    flow: OidcLoginFlow,
    code: str,
    http: httpx.AsyncClient,
    metadata: ProviderMetadata,
) -> dict[str, Any]:
    """Exchange the code and return the ID token's claims, less any CPR number."""
    max_age = settings.oidc_metadata_cache_seconds
    document = await metadata.discovery(provider.issuer, http=http, max_age=max_age)
    try:
        async with oauth_client(settings, provider) as client:
            token = await client.fetch_token(
                document["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=flow.code_verifier,
            )
    except Exception as error:  # authlib's OAuthError (invalid_grant: a replayed code) or httpx's
        log.warning("token exchange failed", extra={"error": type(error).__name__})
        raise LoginRefused("oidc_code_refused") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise LoginRefused("oidc_token_invalid")
    try:
        kid = extract_compact(id_token.encode()).protected.get("kid")
        keys = await metadata.keys(provider.issuer, http=http, max_age=max_age)
        if kid is not None and not any(key.kid == kid for key in keys):
            keys = await metadata.keys(provider.issuer, http=http, max_age=max_age, refresh=True)
        offered = set(document.get("id_token_signing_alg_values_supported") or ["RS256"])
        decoded = jwt.decode(id_token, keys, algorithms=sorted(offered & SIGNING_ALGORITHMS))
        checked = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": provider.issuer},
                "aud": {"essential": True, "value": provider.client_id},
            },
            {
                "nonce": flow.nonce,
                "client_id": provider.client_id,
                "access_token": token.get("access_token"),
            },
        )
        checked.validate(leeway=CLOCK_LEEWAY_SECONDS)
    except ProviderUnavailable:
        raise
    except (JoseError, ValueError) as error:
        log.warning("ID token refused", extra={"error": type(error).__name__, "why": str(error)})
        raise LoginRefused("oidc_token_invalid") from None
    return without_cpr(dict(checked))
