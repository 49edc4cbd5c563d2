"""A roster import's dry run, kept until it is committed or expires."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TenantOwned, new_id, utcnow


class RosterImport(TenantOwned, Base):
    """What a dry run read (`rows`, typed and cleaned) and planned (`plan`): commit re-plans
    `rows` against the roster as it is then and applies only when that equals `plan`."""

    __tablename__ = "roster_imports"
    __table_args__ = (
        Index("ix_roster_imports_institution_id_expires_at", "institution_id", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    committed_at: Mapped[datetime | None]
    mode: Mapped[str] = mapped_column(String(8))  # full | partial
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[list[Any]] = mapped_column(JSON)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, int]] = mapped_column(JSON)
