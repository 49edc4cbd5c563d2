"""Identity providers: their rows, and the OAuth client of one."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from authlib.integrations.httpx_client import AsyncOAuth2Client
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.federation.models import (
    OidcProvider,
)
from app.config import Settings
from app.core.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def hash_value(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def callback_url(settings: Settings, slug: str) -> str:
    return f"{settings.public_url.rstrip('/')}/auth/oidc/{slug}/callback"


# --- Providers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderSettings:
    """What an operator configures of a provider (all but its municipality and slug)."""

    display_name: str
    issuer: str
    client_id: str
    client_secret_env: str | None
    scopes: str = "openid email"
    subject_claim: str = "sub"
    trusts_email: bool = False
    counts_as_second_factor: bool = False


def _checked(
    slug: str, wanted: ProviderSettings, *, allow_insecure_issuer: bool
) -> ProviderSettings:
    if not SLUG.match(slug):
        raise ValidationFailed("invalid_provider_slug", field="slug")
    parts = urlsplit(wanted.issuer)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local and allow_insecure_issuer):
        raise ValidationFailed("invalid_issuer", field="issuer")
    if "openid" not in wanted.scopes.split():
        raise ValidationFailed("invalid_scopes", field="scopes")
    if "cpr" in wanted.subject_claim.lower():
        raise ValidationFailed("cpr_not_allowed", field="subjectClaim")
    if not wanted.client_id.strip():
        raise ValidationFailed("required", field="clientId")
    return dataclasses.replace(wanted, display_name=wanted.display_name.strip()[:200])


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
    counts_as_second_factor: bool = False,
    allow_insecure_issuer: bool = False,
) -> OidcProvider:
    """Configure a municipality's identity provider (an operator's step). Call inside the
    caller's transaction. The secret stays in the environment variable named."""
    wanted = _checked(
        slug,
        ProviderSettings(
            display_name=display_name,
            issuer=issuer,
            client_id=client_id,
            client_secret_env=client_secret_env,
            scopes=scopes,
            subject_claim=subject_claim,
            trusts_email=trusts_email,
            counts_as_second_factor=counts_as_second_factor,
        ),
        allow_insecure_issuer=allow_insecure_issuer,
    )
    fields = dataclasses.asdict(wanted)
    provider = OidcProvider(slug=slug, municipality_id=municipality_id, **fields)
    db.add(provider)
    await db.flush()
    return provider


async def ensure_provider(
    *,
    db: AsyncSession,
    municipality_id: uuid.UUID,
    slug: str,
    wanted: ProviderSettings,
    allow_insecure_issuer: bool = False,
) -> tuple[OidcProvider, list[str]]:
    """The provider `slug` of this municipality as configured: made when missing, else its
    differing settings changed (and a removed one active again). Returns it and what changed
    (["created"] for a new one; [] when all was as wanted). Call inside the caller's
    transaction. A slug is its municipality's for good: its people's identities are linked
    to it, so another municipality's slug is a conflict."""
    wanted = _checked(slug, wanted, allow_insecure_issuer=allow_insecure_issuer)
    provider = await db.scalar(select(OidcProvider).where(OidcProvider.slug == slug))
    if provider is None:
        made = await register_provider(
            db=db,
            municipality_id=municipality_id,
            slug=slug,
            allow_insecure_issuer=allow_insecure_issuer,
            **dataclasses.asdict(wanted),
        )
        return made, ["created"]
    if provider.municipality_id != municipality_id:
        raise Conflict("provider_of_another_municipality", field="slug")
    changed = [
        name
        for name, value in dataclasses.asdict(wanted).items()
        if getattr(provider, name) != value
    ]
    for name in changed:
        setattr(provider, name, getattr(wanted, name))
    if not provider.is_active:
        provider.is_active = True
        changed.append("is_active")
    await db.flush()
    return provider, changed


async def providers(db: AsyncSession) -> list[OidcProvider]:
    """Every configured provider, active or not, by slug (an operator's view)."""
    return list((await db.scalars(select(OidcProvider).order_by(OidcProvider.slug))).all())


async def remove_provider(db: AsyncSession, slug: str, *, purge: bool = False) -> str:
    """Stop logins with a provider: "deactivated" (its identities kept, so adding it again
    restores every link), or with `purge` "deleted" with its identities and flows; "absent"
    when there is none (or none active, without `purge`). Call inside the caller's
    transaction."""
    provider = await db.scalar(select(OidcProvider).where(OidcProvider.slug == slug))
    if provider is None:
        return "absent"
    if purge:
        # Its identities, flows and login codes go with it (ON DELETE CASCADE).
        await db.execute(delete(OidcProvider).where(OidcProvider.id == provider.id))
        return "deleted"
    if not provider.is_active:
        return "absent"
    provider.is_active = False
    await db.flush()
    return "deactivated"


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
