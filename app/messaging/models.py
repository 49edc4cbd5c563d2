"""Threads, participants, messages and per-person thread state ("receipts, not copies").

A message is stored once. Who a thread is addressed to lives in `message_participants`
(a person, or a shared inbox: a group's or the institution's). Each person's own state of
a thread (read up to, muted, archived) lives in `message_thread_states`: made at start for
personal participants, and on first use for staff who see the thread through a shared inbox.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TenantOwned, new_id, utcnow

PARTICIPANT_KINDS = ("user", "group_inbox", "institution_inbox")
THREAD_ROLES = ("staff", "guardian")
MAX_BODY = 10_000


class Thread(TenantOwned, Base):
    __tablename__ = "message_threads"
    __table_args__ = (
        UniqueConstraint("id", "institution_id"),
        Index("ix_message_threads_institution_id_last", "institution_id", "last_message_at"),
        ForeignKeyConstraint(
            ["parent_thread_id", "institution_id"],
            ["message_threads.id", "message_threads.institution_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A broadcast hides its recipient list from guardians; replies go to the staff only
    # (a reply thread per guardian) unless the sender chose "reply to all".
    is_broadcast: Mapped[bool] = mapped_column(default=False)
    reply_to_all: Mapped[bool] = mapped_column(default=True)
    audience: Mapped[str] = mapped_column(String(300), default="")
    sensitive: Mapped[bool] = mapped_column(default=False)
    # A guardian's private reply to a broadcast lives in its own thread below the broadcast.
    parent_thread_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_id: Mapped[uuid.UUID | None]


class ThreadChild(TenantOwned, Base):
    """The children a thread is about (one family's when a message fans out)."""

    __tablename__ = "message_thread_children"
    __table_args__ = (
        ForeignKeyConstraint(
            ["thread_id", "institution_id"],
            ["message_threads.id", "message_threads.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
    )

    thread_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)


class Participant(TenantOwned, Base):
    __tablename__ = "message_participants"
    __table_args__ = (
        UniqueConstraint("id", "institution_id"),
        ForeignKeyConstraint(
            ["thread_id", "institution_id"],
            ["message_threads.id", "message_threads.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["group_id", "institution_id"], ["groups.id", "groups.institution_id"]
        ),
        CheckConstraint(
            "kind IN ('user', 'group_inbox', 'institution_inbox')", name="participant_kind"
        ),
        CheckConstraint("role IN ('staff', 'guardian')", name="thread_role"),
        CheckConstraint(
            "(kind = 'user' AND user_id IS NOT NULL AND group_id IS NULL)"
            " OR (kind = 'group_inbox' AND group_id IS NOT NULL AND user_id IS NULL)"
            " OR (kind = 'institution_inbox' AND user_id IS NULL AND group_id IS NULL)",
            name="participant_target",
        ),
        Index("ix_message_participants_thread_id", "thread_id"),
        Index("ix_message_participants_user_id", "user_id", "thread_id"),
        Index("ix_message_participants_group_id", "group_id", "thread_id"),
        # Threads reaching an institution's inbox (visible_threads for its staff): with the
        # user index above, a BitmapOr rather than every participant of the institution.
        Index(
            "ix_message_participants_institution_inbox",
            "institution_id",
            "thread_id",
            postgresql_where=text("kind = 'institution_inbox'"),
            sqlite_where=text("kind = 'institution_inbox'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    thread_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(20), default="user")
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    group_id: Mapped[uuid.UUID | None]
    role: Mapped[str] = mapped_column(String(10))
    can_reply: Mapped[bool] = mapped_column(default=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Left: keeps reading what came before, receives nothing new. Removed: sees nothing.
    left_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]


class ParticipantBasis(TenantOwned, Base):
    """Why a guardian takes part: through a child (as long as they are its guardian and it is
    enrolled) or, for a broadcast to a group, through a child in that group. When none of a
    participant's bases holds any more, they leave (app.messaging.service.membership). Guardians
    addressed as persons (the one who started the thread, a guardian's peers) have none."""

    __tablename__ = "message_participant_bases"
    __table_args__ = (
        ForeignKeyConstraint(
            ["participant_id", "institution_id"],
            ["message_participants.id", "message_participants.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["group_id", "institution_id"], ["groups.id", "groups.institution_id"]
        ),
    )

    participant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    child_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    # None: the child itself, in whatever group; otherwise only while it is in this group.
    group_id: Mapped[uuid.UUID | None]


class ThreadState(TenantOwned, Base):
    """One person's state of one thread."""

    __tablename__ = "message_thread_states"
    __table_args__ = (
        UniqueConstraint("thread_id", "user_id"),
        ForeignKeyConstraint(
            ["thread_id", "institution_id"],
            ["message_threads.id", "message_threads.institution_id"],
            ondelete="CASCADE",
        ),
        Index("ix_message_thread_states_user_id", "user_id", "thread_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    thread_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    last_read_message_id: Mapped[uuid.UUID | None]
    last_read_at: Mapped[datetime | None]
    muted: Mapped[bool] = mapped_column(default=False)
    archived: Mapped[bool] = mapped_column(default=False)


class Message(TenantOwned, Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("id", "institution_id"),
        ForeignKeyConstraint(
            ["thread_id", "institution_id"],
            ["message_threads.id", "message_threads.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["sent_as_group_id", "institution_id"], ["groups.id", "groups.institution_id"]
        ),
        # The unread count: messages of a thread after a read pointer, not deleted.
        Index(
            "ix_messages_thread_id_live",
            "thread_id",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index("ix_messages_thread_id", "thread_id", "id"),
        # Search with Danish stemming (PostgreSQL only; SQLite searches by plain match).
        Index(
            "ix_messages_body_fts",
            func.to_tsvector(literal_column("'danish'::regconfig"), literal_column("body")),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    thread_id: Mapped[uuid.UUID]
    sender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    sender_role: Mapped[str] = mapped_column(String(10))  # staff | admin | guardian
    # Staff answering from a shared inbox answer as the group (or the institution).
    sent_as_group_id: Mapped[uuid.UUID | None]
    sent_as_institution: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    quoted_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    is_auto_reply: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class MessageAttachment(TenantOwned, Base):
    """A file a message carries (an upload of purpose "attachment", claimed by the message).
    One upload may ride several messages when a message fans out to several families."""

    __tablename__ = "message_attachments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["message_id", "institution_id"],
            ["messages.id", "messages.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["file_id", "institution_id"],
            ["stored_files.id", "stored_files.institution_id"],
            ondelete="CASCADE",
        ),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    file_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)


class AutoReply(TenantOwned, Base):
    """A staff member's away message for their personal inbox."""

    __tablename__ = "message_auto_replies"
    __table_args__ = (UniqueConstraint("institution_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InboxAutoReply(TenantOwned, Base):
    """The away message of a shared inbox: a group's (`group_id`) or the institution's (NULL),
    set by its staff, sent once per thread and period as the inbox when a guardian writes."""

    __tablename__ = "message_inbox_auto_replies"
    __table_args__ = (
        ForeignKeyConstraint(
            ["group_id", "institution_id"],
            ["groups.id", "groups.institution_id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("institution_id", "group_id"),
        # NULLs are distinct in a unique constraint: the institution's inbox has its own.
        Index(
            "uq_message_inbox_auto_replies_institution",
            "institution_id",
            unique=True,
            postgresql_where=text("group_id IS NULL"),
            sqlite_where=text("group_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    group_id: Mapped[uuid.UUID | None]
    # Who set it: the automatic message is theirs, sent as the inbox.
    set_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
