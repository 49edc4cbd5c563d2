"""Photo consent per guardian and child (with its history), photos and who is shown on them."""

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
from app.db import Base, TenantOwned, Timestamped, new_id, utcnow

# Ordered from the most restrictive; a child's effective consent is the lowest answer.
CONSENT_LEVELS = ("none", "own_guardians", "group")
LEVEL_CHECK = "level IN ('none', 'own_guardians', 'group')"


class PhotoConsent(TenantOwned, Timestamped, Base):
    """One custody guardian's current answer for one child (absent: the institution default)."""

    __tablename__ = "photo_consents"
    __audit__: ClassVar[Audited] = Audited(kind="consent")
    __table_args__ = (
        UniqueConstraint("child_id", "user_id"),
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(LEVEL_CHECK, name="level"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))


class PhotoConsentChange(TenantOwned, Base):
    """Every answer ever given: who, for which child, what and when (append-only)."""

    __tablename__ = "photo_consent_changes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(LEVEL_CHECK, name="level"),
        Index("ix_photo_consent_changes_child_id_created_at", "child_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Photo(TenantOwned, Timestamped, Base):
    """A photo of a group's day; its image is a claimed StoredFile (purpose "photo")."""

    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("id", "institution_id"),
        ForeignKeyConstraint(
            ["group_id", "institution_id"], ["groups.id", "groups.institution_id"]
        ),
        ForeignKeyConstraint(
            ["file_id", "institution_id"], ["stored_files.id", "stored_files.institution_id"]
        ),
        Index("ix_photos_group_id_taken_on", "group_id", "taken_on", "id"),
        # A child's day looks among its institution's photos of that day (gallery.reads).
        Index("ix_photos_institution_id_taken_on", "institution_id", "taken_on", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Indexed by ix_photos_institution_id_taken_on, which leads with it.
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    group_id: Mapped[uuid.UUID]
    file_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    taken_on: Mapped[date]
    caption: Mapped[str] = mapped_column(String(1000), default="")
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class PhotoChild(TenantOwned, Base):
    """A child shown on a photo (tagged by staff)."""

    __tablename__ = "photo_children"
    __table_args__ = (
        ForeignKeyConstraint(
            ["photo_id", "institution_id"],
            ["photos.id", "photos.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
    )

    photo_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
