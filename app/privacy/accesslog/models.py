"""The access log's one table. On PostgreSQL it is partitioned by month (the migration and
the retention job keep partitions ahead and drop whole old ones); on SQLite a plain table.

No foreign keys to children or users: the log is a record of what happened and must outlive
both (a child that has left, an account deleted) until its own retention ends."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TenantOwned

# The monthly partitions (child_access_log_p2026_12, ..., child_access_log_pdefault) are made
# and dropped by the database function of migration 0086, not by models or migrations.
PARTITION_PREFIX = "child_access_log_p"


def is_partition(table_name: str | None) -> bool:
    return bool(table_name) and str(table_name).startswith(PARTITION_PREFIX)


class AccessKind(enum.StrEnum):
    """What kind of a child's data was read (the guardian sees these words, translated)."""

    DAY_ENTRIES = "day_entries"
    PHOTOS = "photos"
    PRESENCE = "presence"
    PICKUP = "pickup"  # pickup persons, the codeword, pickup plans
    ABSENCES = "absences"
    CONSENT = "consent"
    CHILD_RECORD = "child_record"  # the child's record (health data)
    MESSAGES = "messages"  # messages about the child
    EXPORT = "export"


class AccessLogEntry(TenantOwned, Base):
    __tablename__ = "child_access_log"
    __table_args__ = (
        # A guardian's view (one child, newest first) and an admin's filter by person.
        Index("ix_child_access_log_child", "institution_id", "child_id", "accessed_at"),
        Index("ix_child_access_log_user", "institution_id", "user_id", "accessed_at"),
        {"postgresql_partition_by": "RANGE (accessed_at)"},
    )

    # The partition key is part of the key (PostgreSQL requires it of a partitioned table);
    # (request, child, kind) is the row's identity: one row per (actor, child, kind, request).
    accessed_at: Mapped[datetime] = mapped_column(primary_key=True)
    request_key: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    institution_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID | None]
    # ADMIN, STAFF, MUNICIPALITY_ADMIN; KIOSK or STAFF_TABLET for a paired device itself.
    role: Mapped[str] = mapped_column(String(30))
    device_id: Mapped[uuid.UUID | None]
    operation: Mapped[str] = mapped_column(String(100))
    request_id: Mapped[str] = mapped_column(String(100))
