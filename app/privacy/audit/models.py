"""The audit trail's one table.

No foreign keys to children or users: the trail is a record of what happened and must outlive
both (a child that has left, an account deleted) until its own retention ends."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TenantOwned, new_id


class AuditKind(enum.StrEnum):
    """What kind of a child's data was written (the `kind` of app.core.audit.Audited)."""

    DAY_ENTRIES = "day_entries"
    PRESENCE = "presence"
    ABSENCES = "absences"
    PICKUP = "pickup"
    CONSENT = "consent"
    CUSTODY = "custody"
    ROSTER = "roster"
    CHILD_RECORD = "child_record"


class AuditAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class AuditTrailEntry(TenantOwned, Base):
    __tablename__ = "audit_trail"
    __table_args__ = (
        # The admins' list (newest first, keyset on (at, id)), by child and by person.
        Index("ix_audit_trail_institution_id_at", "institution_id", "at", "id"),
        Index("ix_audit_trail_child", "institution_id", "child_id", "at"),
        Index("ix_audit_trail_user", "institution_id", "user_id", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID]
    child_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID | None]
    # ADMIN, STAFF, GUARDIAN, MUNICIPALITY_ADMIN; KIOSK or STAFF_TABLET for a paired device.
    role: Mapped[str] = mapped_column(String(30))
    device_id: Mapped[uuid.UUID | None]
    kind: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(10))
    entity_type: Mapped[str] = mapped_column(String(50))  # the table's name
    entity_id: Mapped[str] = mapped_column(String(200))  # its key, "a/b" when composite
    # Only the changed columns (all of them for a create or delete); secrets redacted.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime]
    request_id: Mapped[str] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(100))
