"""A person is one global user with one login; sessions are opaque bearer tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TenantOwned, Timestamped, new_id, utcnow


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    # Lower-cased email: unique case-insensitively on every backend.
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    preferred_language: Mapped[str] = mapped_column(String(2), default="da")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)


class AuthSession(Base):
    """A login: the token itself is never stored, only its SHA-256."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user_id_active", "user_id", "revoked_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="user")  # user | device | tablet
    # A paired device's own session (kind device), or a staff member switched in on it (tablet).
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE")
    )
    device_label: Mapped[str | None] = mapped_column(String(200))
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    idle_timeout_seconds: Mapped[int]
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed logins per key ("email:<address>" or "ip:<address>").

    Keyed by the typed email rather than the user row, so an unknown email is
    throttled exactly like a known one and the answer reveals nothing."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    lockouts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]


class PersonalPin(Base):
    """A person's short PIN for shared tablets (staff) and the kiosk (guardians); argon2."""

    __tablename__ = "personal_pins"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    pin_hash: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Device(TenantOwned, Base):
    """A paired tablet: a staff tablet (staff switch in with their PIN) or the entrance kiosk.

    Each device has its own user row (no password, no membership): its sessions name it, and
    on PostgreSQL it reads its own row by that user id before the scope is known."""

    __tablename__ = "devices"
    __table_args__ = (CheckConstraint("role IN ('staff_tablet', 'kiosk')", name="role"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    paired_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class IdempotencyKey(Base):
    """A client-made key of a mutation that created something, kept (at least 24 hours) so
    that a retry gets the first result instead of a second copy. Written in the transaction
    of the mutation's effect, so a crash leaves both or neither; the primary key makes two
    concurrent retries produce one row (the second waits for the first, then fails and replays).

    The user's own: another user's same key is another key. `fingerprint` is the SHA-256 of
    the operation's normalized arguments; `result_ids` the rows the mutation created, in order
    (what a replay answers with)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(128))
    operation: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    results: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


INVITATION_ROLES = ("admin", "staff", "guardian")


class Invitation(TenantOwned, Base):
    """An institution asks a person without a password to join (as admin, staff or a child's
    guardian): what its admins see, pending, accepted, expired or revoked, per person. Its
    token lives in `invitation_tokens` (read before any tenant scope is known); the invitee
    sees their own row (`user_id`), the institution's people the rest."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'staff', 'guardian')", name="role"),
        Index("ix_invitations_institution_id_user_id", "institution_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    # None: the operator's bootstrap; the mail then names the institution only.
    invited_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_sent_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class InvitationToken(Base):
    """The SHA-256 of an invitation's single-use token, never the token: minted when the mail
    is composed (app.notifications), so the token exists only in that mail. Not tenant-owned
    on purpose: accepting is anonymous, and the hash is the only key to the row."""

    __tablename__ = "invitation_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    invitation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountToken(Base):
    """A single-use link's token: a password reset (valid SEDDEL_PASSWORD_RESET_TTL, one hour)
    or the confirmation of a new e-mail address. Only the token's SHA-256 is kept, and only
    from the moment the mail is sent: the sender mints the token then (app.accounts.service
    .recovery.mint_token), so no plain token is ever written anywhere. A reset asked for an
    address no account has is written too (`user_id` null, never minted): the request does
    the same work whether or not the address exists."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint("purpose IN ('password_reset', 'email_change')", name="purpose"),
        Index("ix_account_tokens_user_id", "user_id", "purpose"),
        Index("ix_account_tokens_expires_at", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # email_change: the address confirmed by the link.
    new_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SecondFactor(Base):
    """A person's TOTP authenticator (RFC 6238). The secret is stored encrypted (AES-GCM
    under a key derived from SEDDEL_SECRET_KEY) and never leaves the server again after
    enrolment. Unconfirmed until the first code from the app is entered."""

    __tablename__ = "second_factors"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_encrypted: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # The time step of the last code accepted: a code of that step or an earlier one is a
    # replay and is refused (RFC 6238 section 5.2).
    last_used_step: Mapped[int | None]


class RecoveryCode(Base):
    """One of a person's ten single-use recovery codes: only its SHA-256 (the codes are
    random, 80 bits, so a fast hash is enough)."""

    __tablename__ = "second_factor_recovery_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class SecondFactorChallenge(Base):
    """A login that passed its password and waits for its second factor: short-lived and
    single-use; the token is never stored, only its SHA-256. It carries what the session
    will be made with."""

    __tablename__ = "second_factor_challenges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    device_label: Mapped[str | None] = mapped_column(String(200))
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


PUSH_PLATFORMS = ("ios", "android", "web")


class PushDevice(Base):
    """An app's push registration: an APNs device token, an FCM registration token or a Web
    Push subscription, bound to the session that registered it (revoking the session removes
    it). A user's own, not an institution's: no institution_id, reached only by user id.

    `token_key` is the SHA-256 of platform and token, unique: one token is one row, so a
    token registered by another user (a shared family tablet) moves to that user and never
    delivers to both."""

    __tablename__ = "push_devices"
    __table_args__ = (
        CheckConstraint("platform IN ('ios', 'android', 'web')", name="platform"),
        Index("ix_push_devices_user_id", "user_id"),
        Index("ix_push_devices_session_id", "session_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(8))
    # The APNs/FCM token, or the Web Push subscription's endpoint URL.
    token: Mapped[str] = mapped_column(String(2048))
    token_key: Mapped[str] = mapped_column(String(64), unique=True)
    # Web Push only (RFC 8291): the subscription's public key and auth secret, base64url.
    p256dh: Mapped[str | None] = mapped_column(String(200))
    auth_secret: Mapped[str | None] = mapped_column(String(100))
    app_version: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2), default="da")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
