"""Identity providers, federated identities, login flows in progress and one-time login codes.

None is tenant-owned: a provider belongs to a municipality, an identity to a global user."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Timestamped, new_id, utcnow


class OidcProvider(Timestamped, Base):
    """One OpenID Connect provider a municipality trusts (MitID through a broker, UNI-login,
    the municipality's Entra ID). The client secret is never stored: `client_secret_env`
    names the environment variable that holds it."""

    __tablename__ = "oidc_providers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # The {provider} of /auth/oidc/{provider}/start: lower-case letters, digits and dashes.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(300))
    client_secret_env: Mapped[str | None] = mapped_column(String(100))
    scopes: Mapped[str] = mapped_column(String(500), default="openid email")
    # The claim that identifies the person at this provider ("sub" unless the broker says
    # otherwise); never a CPR number.
    subject_claim: Mapped[str] = mapped_column(String(100), default="sub")
    # Whether this provider's `email` with `email_verified: true` may link to an existing user.
    trusts_email: Mapped[bool] = mapped_column(default=False)
    # Whether this provider's own login is multi-factor (MitID, an Entra ID enforcing MFA) and
    # so stands for Seddel's second factor. Off unless the operator says so: a single-factor
    # login (UNI-login) must not let staff and admins skip the step-up their institution asks.
    counts_as_second_factor: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(default=True)


class FederatedIdentity(Base):
    """A person at a provider (provider, subject) linked to one Seddel user."""

    __tablename__ = "federated_identities"
    __table_args__ = (UniqueConstraint("provider_id", "subject"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oidc_providers.id", ondelete="CASCADE")
    )
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # How the link was made: "invitation" or "verified_email".
    linked_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class OidcLoginFlow(Base):
    """A login started at /start and not yet finished at /callback. Only hashes of the state
    and of the browser binding (a cookie) are kept; the nonce and PKCE verifier are useless
    without the provider's code, which never reaches this table. Single-use: `used_at`."""

    __tablename__ = "oidc_login_flows"
    __table_args__ = (Index("ix_oidc_login_flows_expires_at", "expires_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oidc_providers.id", ondelete="CASCADE")
    )
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    return_to: Mapped[str] = mapped_column(String(500))
    # A flow for an invitation is made by `startInvitationLogin` before any browser is in
    # it: the app gets a single-use hand-off (this is its SHA-256, NULL once spent) that
    # /start?flow= trades for the state and the browser binding. Until then the state and
    # browser hashes are of random values nobody was given, so no callback can match it.
    handoff_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The SHA-256 of the invitation's token (as invitation_tokens keeps it), spent at the
    # callback; the token itself never reaches this table or a URL of the flow.
    invitation_token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginCode(Base):
    """What /callback hands the app instead of a session token: single-use, short-lived,
    stored as its SHA-256, exchanged by the `exchangeLoginCode` mutation for a session."""

    __tablename__ = "login_codes"
    __table_args__ = (Index("ix_login_codes_expires_at", "expires_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oidc_providers.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
