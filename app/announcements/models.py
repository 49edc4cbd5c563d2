"""Announcements (opslag): posted once, with a receipt per recipient (read, confirmed)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TenantOwned, Timestamped, new_id


class Announcement(TenantOwned, Timestamped, Base):
    """To one group (group_id) or the whole institution (group_id NULL). The audience is
    resolved when it is posted: receipts and audience children are written then."""

    __tablename__ = "announcements"
    __table_args__ = (
        UniqueConstraint("id", "institution_id"),
        ForeignKeyConstraint(
            ["group_id", "institution_id"], ["groups.id", "groups.institution_id"]
        ),
        Index("ix_announcements_institution_id_created_at", "institution_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    requires_confirmation: Mapped[bool] = mapped_column(default=False)
    due_on: Mapped[date | None]
    # Sensitive: not for guardians with "information only" access, never in push previews.
    is_sensitive: Mapped[bool] = mapped_column(default=False)


class AnnouncementChild(TenantOwned, Base):
    """The children the announcement was for when it was posted (the per-child overview)."""

    __tablename__ = "announcement_children"
    __table_args__ = (
        ForeignKeyConstraint(
            ["announcement_id", "institution_id"],
            ["announcements.id", "announcements.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
    )

    announcement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)


class AnnouncementReceipt(TenantOwned, Base):
    """One recipient's copy-less receipt: read and confirmed flags, as Zulip's UserMessage.
    The partial indexes keep "my unread" and "my unconfirmed" cheap whatever the history."""

    __tablename__ = "announcement_receipts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["announcement_id", "institution_id"],
            ["announcements.id", "announcements.institution_id"],
            ondelete="CASCADE",
        ),
        Index("ix_announcement_receipts_user_id_created_at", "user_id", "created_at"),
        Index(
            "ix_announcement_receipts_unread",
            "user_id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
        Index(
            "ix_announcement_receipts_unconfirmed",
            "user_id",
            postgresql_where=text("needs_confirmation AND confirmed_at IS NULL"),
            sqlite_where=text("needs_confirmation AND confirmed_at IS NULL"),
        ),
    )

    announcement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    needs_confirmation: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    # When the reminder before the due date was enqueued: once per person and announcement.
    reminded_at: Mapped[datetime | None]


class AnnouncementAttachment(TenantOwned, Base):
    """A file (app.files, purpose "attachment") claimed by an announcement, in order."""

    __tablename__ = "announcement_attachments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["announcement_id", "institution_id"],
            ["announcements.id", "announcements.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["file_id", "institution_id"], ["stored_files.id", "stored_files.institution_id"]
        ),
    )

    announcement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    file_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, unique=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
