"""The child's record: health data (GDPR Art. 9) kept apart from everything that is sent."""

from __future__ import annotations

import uuid
from datetime import date, datetime
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


class ChildRecord(TenantOwned, Timestamped, Base):
    """One per child, made on the first edit: allergies, diet, doctor and notes for staff."""

    __tablename__ = "child_records"
    __audit__: ClassVar[Audited] = Audited(kind="child_record")
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
    )

    child_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    allergies: Mapped[str] = mapped_column(String(2000), default="")
    diet: Mapped[str] = mapped_column(String(2000), default="")
    doctor_name: Mapped[str] = mapped_column(String(200), default="")
    doctor_phone: Mapped[str] = mapped_column(String(40), default="")
    staff_notes: Mapped[str] = mapped_column(String(4000), default="")
    updated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class EmergencyContact(TenantOwned, Timestamped, Base):
    """Someone to call when the guardians cannot be reached (the guardians are not listed)."""

    __tablename__ = "emergency_contacts"
    __audit__: ClassVar[Audited] = Audited(kind="child_record")
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class MedicationConsent(TenantOwned, Timestamped, Base):
    """A custody holder's signed consent that staff give a medicine: which, what dose, in
    which period; withdrawn rather than deleted, so that the daily log's medication entries
    naming it keep their meaning."""

    __tablename__ = "medication_consents"
    __audit__: ClassVar[Audited] = Audited(kind="consent")
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name="medication_period"
        ),
        UniqueConstraint("id", "institution_id"),
        Index("ix_medication_consents_child_id_valid_from", "child_id", "valid_from"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID]
    medicine: Mapped[str] = mapped_column(String(200))
    dose: Mapped[str] = mapped_column(String(100))
    instructions: Mapped[str] = mapped_column(String(1000), default="")
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    signed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
