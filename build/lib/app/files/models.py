"""Uploaded files: one row per upload, its cleaned renditions in object storage."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TenantOwned, Timestamped, new_id

PURPOSES = ("attachment", "photo", "pickup_photo")


class StoredFile(TenantOwned, Timestamped, Base):
    """An upload. Unclaimed until a domain row (a message, a photo…) takes it; unclaimed
    files older than a day are swept away with their objects."""

    __tablename__ = "stored_files"
    __table_args__ = (
        # Rows of other domains point at (id, institution_id): a file never crosses tenants.
        UniqueConstraint("id", "institution_id"),
        CheckConstraint(f"purpose IN {PURPOSES!r}", name="purpose"),
        CheckConstraint("kind IN ('image', 'document')", name="kind"),
        Index(
            "ix_stored_files_unclaimed",
            "created_at",
            postgresql_where=text("claimed_at IS NULL"),
            sqlite_where=text("claimed_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    width: Mapped[int | None]
    height: Mapped[int | None]
    # {name: {"key", "content_type", "size", "width", "height"}}
    variants: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    claimed_at: Mapped[datetime | None]
