"""The daily log (dagbog): entries about a child's day, every version of them, and the
guardians' receipts of incidents."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.audit import Audited
from app.db import Base, TenantOwned, new_id, utcnow

KINDS = ("meal", "sleep", "diaper", "medication", "incident", "activity", "mood", "note")
_KIND_CHECK = "kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")"


class DayEntry(TenantOwned, Base):
    """The current version of one entry; `day` is the date in the institution's timezone,
    `at` (and `ends_at` for sleep) are UTC. Deleted entries stay, with `deleted_at` set."""

    __tablename__ = "day_entries"
    __audit__: ClassVar[Audited] = Audited(kind="day_entries")
    __table_args__ = (
        UniqueConstraint("id", "institution_id"),
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(_KIND_CHECK, name="kind"),
        CheckConstraint("ends_at IS NULL OR ends_at >= at", name="period"),
        Index("ix_day_entries_child_id_day_at", "child_id", "day", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID]
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(String(2000), default="")
    version: Mapped[int] = mapped_column(default=1)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None]


class DayEntryVersion(TenantOwned, Base):
    """Every version of an entry, as it was written: who, when, what changed."""

    __tablename__ = "day_entry_versions"
    __table_args__ = (
        UniqueConstraint("entry_id", "version"),
        ForeignKeyConstraint(
            ["entry_id", "institution_id"],
            ["day_entries.id", "day_entries.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("change IN ('created', 'corrected', 'deleted')", name="change"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    entry_id: Mapped[uuid.UUID]
    version: Mapped[int]
    change: Mapped[str] = mapped_column(String(16))
    changed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(String(2000), default="")
    changed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class IncidentReceipt(TenantOwned, Base):
    """One guardian's receipt of an incident: notified when it was recorded, and the version
    they confirmed having read (a correction asks for a new confirmation)."""

    __tablename__ = "incident_receipts"
    __table_args__ = (
        UniqueConstraint("entry_id", "user_id"),
        ForeignKeyConstraint(
            ["entry_id", "institution_id"],
            ["day_entries.id", "day_entries.institution_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    entry_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    notified_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    confirmed_version: Mapped[int | None]
