"""Presence: a child's stays (check-in/out), the log of what tablets sent, and used kiosk tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.audit import Audited
from app.db import Base, TenantOwned, new_id, utcnow


class Presence(TenantOwned, Base):
    """One stay of a child: checked in, and (later) checked out. On PostgreSQL an exclusion
    constraint refuses two overlapping stays of one child (migration 0040)."""

    __tablename__ = "presences"
    __audit__: ClassVar[Audited] = Audited(kind="presence")
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(
            "checked_out_at IS NULL OR checked_out_at > checked_in_at", name="interval"
        ),
        CheckConstraint(
            "picked_up_by_kind IS NULL OR picked_up_by_kind IN"
            " ('guardian', 'pickup_person', 'other')",
            name="picked_up_by_kind",
        ),
        Index("ix_presences_child_id_checked_in_at", "child_id", "checked_in_at"),
        Index("ix_presences_institution_id_checked_in_at", "institution_id", "checked_in_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    child_id: Mapped[uuid.UUID]
    group_id: Mapped[uuid.UUID | None]
    checked_in_at: Mapped[datetime]
    checked_in_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    checked_in_device: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    checked_out_at: Mapped[datetime | None]
    checked_out_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    checked_out_device: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    picked_up_by_kind: Mapped[str | None] = mapped_column(String(16))
    picked_up_by_user: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    picked_up_by_person: Mapped[uuid.UUID | None]
    picked_up_by_name: Mapped[str | None] = mapped_column(String(200))
    override_reason: Mapped[str | None] = mapped_column(String(500))
    # Closed by the nightly job: the time is a guess until staff confirm it.
    checkout_estimated: Mapped[bool] = mapped_column(default=False)


class PresenceEvent(TenantOwned, Base):
    """The log of what tablets sent, keyed by the client-made ID: a retry finds its event."""

    __tablename__ = "presence_events"
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(
            "kind IN ('check_in', 'check_out', 'undo', 'confirm', 'auto_close')", name="kind"
        ),
        Index("ix_presence_events_child_id_occurred_at", "child_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    presence_id: Mapped[uuid.UUID | None]
    target_event_id: Mapped[uuid.UUID | None]
    override_reason: Mapped[str | None] = mapped_column(String(500))
    undone_at: Mapped[datetime | None]


class KioskTokenUse(TenantOwned, Base):
    """A kiosk QR token is single-use: its nonce is kept once redeemed."""

    __tablename__ = "kiosk_token_uses"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
