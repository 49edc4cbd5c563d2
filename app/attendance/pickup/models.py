"""Pickup persons (hentetilladelse) and the child's pickup codeword."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.audit import Audited
from app.db import Base, TenantOwned, Timestamped, new_id


class PickupPerson(TenantOwned, Timestamped, Base):
    """Someone a guardian with custody allowed to pick the child up."""

    __tablename__ = "pickup_persons"
    __audit__: ClassVar[Audited] = Audited(kind="pickup")
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from",
            name="validity",
        ),
        # Target of the pickup plan's composite key: a plan names a person of its own tenant.
        UniqueConstraint("id", "institution_id"),
        # The photo is a file of the same tenant; the service clears it before forgetting it.
        ForeignKeyConstraint(
            ["photo_file_id", "institution_id"],
            ["stored_files.id", "stored_files.institution_id"],
        ),
        Index("ix_pickup_persons_photo_file_id", "photo_file_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    photo_file_id: Mapped[uuid.UUID | None]


class PickupCodeword(TenantOwned, Timestamped, Base):
    """A word a stranger says at the door; set by a guardian with custody, read only by staff."""

    __tablename__ = "pickup_codewords"
    __audit__: ClassVar[Audited] = Audited(kind="pickup", redact=frozenset({"codeword"}))
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
    )

    child_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    codeword: Mapped[str] = mapped_column(String(100))
    set_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
