"""Identity providers: their rows, and the OAuth client of one."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from urllib.parse import urlsplit

from authlib.integrations.httpx_client import AsyncOAuth2Client
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.federation.models import (
    OidcProvider,
)
from app.config import Settings
from app.core.errors import (
    NotFound,
    ValidationFailed,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def hash_value(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def callback_url(settings: Settings, slug: str) -> str:
    return f"{settings.public_url.rstrip('/')}/auth/oidc/{slug}/callback"


# --- Providers -------------------------------------------------------------------------------


async def register_provider(
    *,
    db: AsyncSession,
    municipality_id: uuid.UUID,
    slug: str,
    display_name: str,
    issuer: str,
    client_id: str,
    client_secret_env: str | None,
    scopes: str = "openid email",
    subject_claim: str = "sub",
    trusts_email: bool = False,
    allow_insecure_issuer: bool = False,
) -> OidcProvider:
    """Configure a municipality's identity provider (an operator's step). Call inside the
    caller's transaction. The secret stays in the environment variable named."""
    if not SLUG.match(slug):
        raise ValidationFailed("invalid_provider_slug", field="slug")
    parts = urlsplit(issuer)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local and allow_insecure_issuer):
        raise ValidationFailed("invalid_issuer", field="issuer")
    if "openid" not in scopes.split():
        raise ValidationFailed("invalid_scopes", field="scopes")
    if "cpr" in subject_claim.lower():
        raise ValidationFailed("cpr_not_allowed", field="subjectClaim")
    provider = OidcProvider(
        slug=slug,
        municipality_id=municipality_id,
        display_name=display_name.strip()[:200],
        issuer=issuer,
        client_id=client_id,
        client_secret_env=client_secret_env,
        scopes=scopes,
        subject_claim=subject_claim,
        trusts_email=trusts_email,
    )
    db.add(provider)
    await db.flush()
    return provider


async def active_provider(db: AsyncSession, slug: str) -> OidcProvider:
    provider = await db.scalar(
        select(OidcProvider).where(OidcProvider.slug == slug, OidcProvider.is_active.is_(True))
    )
    if provider is None:
        raise NotFound(field="provider")
    return provider


def oauth_client(settings: Settings, provider: OidcProvider) -> AsyncOAuth2Client:
    secret = os.environ.get(provider.client_secret_env) if provider.client_secret_env else None
    return AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=secret,
        scope=provider.scopes,
        redirect_uri=callback_url(settings, provider.slug),
        code_challenge_method="S256",
        # A public client (no secret) sends its id in the body; PKCE is what protects it.
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        timeout=settings.oidc_http_timeout_seconds,
    )
