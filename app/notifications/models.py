"""The notification outbox (written in the sender's transaction), preferences and job runs."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TenantOwned, Timestamped, new_id, utcnow

CHANNELS = ("push", "email")
STATUSES = ("pending", "sent", "failed")


class OutboxEntry(TenantOwned, Base):
    """One notification for one recipient on one channel. Written in the same transaction
    as the message or announcement it tells about (the outbox pattern), delivered later by
    `seddel worker`. `due_at` is when it may next be tried: quiet hours and digests push it
    forward, a claim leases it (a crashed worker's claim runs out), failures back off."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        CheckConstraint("channel IN ('push', 'email', 'sms')", name="channel"),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        Index(
            "ix_notification_outbox_due",
            "due_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_notification_outbox_user_id_channel", "user_id", "channel", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(32))  # message | announcement | ...
    subject_id: Mapped[uuid.UUID]  # the message's or announcement's id
    sender_name: Mapped[str] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(500))
    # Push only, and never for sensitive content: the text shown on a lock screen.
    preview: Mapped[str | None] = mapped_column(String(200))
    # One notification per (kind, subject, recipient, channel), whatever retries or
    # double enqueues happen; also handed to senders whose API deduplicates by key.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    # E-mail only: the Message-ID of the digest this row was first handed to SMTP in, set
    # (and committed) before the hand-over. A resend carries exactly the rows of that digest
    # under the same Message-ID, so a receiver that deduplicates shows it once; rows that
    # arrived since go in a digest of their own.
    email_message_id: Mapped[str | None] = mapped_column(String(250))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class NotificationPreferences(Timestamped, Base):
    """A user's own settings, across institutions (a person is one user). Quiet hours are
    local times in `timezone`, or in the institution's timezone when it is not set."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    push_enabled: Mapped[bool] = mapped_column(default=True)
    email_digest_enabled: Mapped[bool] = mapped_column(default=True)
    quiet_start: Mapped[time | None]
    quiet_end: Mapped[time | None]
    timezone: Mapped[str | None] = mapped_column(String(64))


class JobRun(Base):
    """When a periodic job last started: claimed atomically, so of several workers only one
    runs the daily job."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_started_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountEmail(Base):
    """An e-mail about a person's account (a reset link, "your password was changed", the
    confirmation of a new address): the outbox's rows for mail that is no institution's and
    may be asked for by someone not signed in. Not tenant-owned (written by anonymous
    requests; reached by the worker only), sent at once rather than in a digest, and never
    holding a token: a row with `token_id` gets its token minted when it is sent.
    `user_id` null: a reset asked for an address no account has; never sent."""

    __tablename__ = "account_emails"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('password_reset', 'password_changed', 'email_change', 'email_changed',"
            " 'account_erasure')",
            name="kind",
        ),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        Index(
            "ix_account_emails_due",
            "due_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_account_emails_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("account_tokens.id", ondelete="CASCADE")
    )
    # Set when the mail goes elsewhere than the account's address (the old address).
    to_address: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


DELIVERY_STATUSES = ("queued", "sent", "delivered", "failed", "given_up")


class NotificationDelivery(TenantOwned, Base):
    """What became of one notification on one device (push) or address (e-mail, SMS): the
    delivery record staff read ("was each guardian reached?"). No row yet: still queued (read
    as `queued` for each live device of a pending notification, app.notifications.service.
    record). `sent`: handed to the provider, answer not known yet (or a worker died
    waiting); `delivered`: the provider accepted it (`provider_id`: its id); `failed`:
    refused for now, retried (`reason`); `given_up`: refused for good (`reason`).

    Kept by the institution's retention (its message retention), not the outbox's: a purged
    outbox row leaves its records (`outbox_id` null), which say on their own whom, about what
    and how (user, subject, kind, link)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('sent', 'delivered', 'failed', 'given_up')", name="status"),
        Index("uq_notification_deliveries_outbox_id_target", "outbox_id", "target", unique=True),
        Index(
            "ix_notification_deliveries_institution_id_subject_id", "institution_id", "subject_id"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    outbox_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notification_outbox.id", ondelete="SET NULL")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    subject_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(32))
    link: Mapped[str] = mapped_column(String(500))
    # The push device's id, or the e-mail / SMS address kind ("email", "sms"): one row each.
    target: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8))
    platform: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=1)
    # When the record began (first tried): what the SMS monthly cap counts by, unmoved by the
    # answers that update the record later.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
