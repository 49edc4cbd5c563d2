"""One row per export a person asked for: its state and progress, and where the ZIP lies
while it may be downloaded.

Not tenant-owned: an export is its person's, across every institution they belong to (as
sessions and idempotency keys are). Only its owner reads it (policies.py); the worker reads
the queue."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class ExportState(enum.StrEnum):
    QUEUED = "queued"
    BUILDING = "building"
    READY = "ready"
    EXPIRED = "expired"
    FAILED = "failed"


RUNNING = (ExportState.QUEUED.value, ExportState.BUILDING.value)


class DataExport(Base):
    __tablename__ = "data_exports"
    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'building', 'ready', 'expired', 'failed')", name="state"
        ),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        # A person's list, newest first; the rule "one running export at a time".
        Index("ix_data_exports_user_id_requested_at", "user_id", "requested_at"),
        # The worker's queue and the expiry job read by state.
        Index("ix_data_exports_state", "state"),
        # One running export per person, held by the database as well (two requests at once).
        Index(
            "uq_data_exports_running",
            "user_id",
            unique=True,
            postgresql_where=text("state IN ('queued', 'building')"),
            sqlite_where=text("state IN ('queued', 'building')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12), default=ExportState.QUEUED.value)
    progress: Mapped[int] = mapped_column(default=0)
    # The README's language, the person's own when they asked.
    language: Mapped[str] = mapped_column(String(5))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    object_key: Mapped[str | None] = mapped_column(String(300))
    size_bytes: Mapped[int | None]
    # A reason code (app.core.i18n) when the build failed.
    failure_reason: Mapped[str | None] = mapped_column(String(60))
