"""Institutions are the tenants; every row below one carries its institution_id."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
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

ACCESS_LEVELS = ("full", "information", "none")


class Municipality(Timestamped, Base):
    __tablename__ = "municipalities"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class MunicipalityAdmin(Base):
    __tablename__ = "municipality_admins"
    __table_args__ = (UniqueConstraint("municipality_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)


class Institution(Timestamped, Base):
    __tablename__ = "institutions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Copenhagen")
    # {"mon": ["06:30", "17:00"], ...}; a missing weekday is closed.
    opening_hours: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)


class ClosedDay(TenantOwned, Base):
    __tablename__ = "closed_days"
    __table_args__ = (UniqueConstraint("institution_id", "day"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    day: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200), default="")
    # Closed from this time of day on (Grundlovsdag afternoon: 12:00); None: the whole day.
    # A day that closes early is an open day, with shorter hours.
    closes_at: Mapped[time | None]


class Group(TenantOwned, Timestamped, Base):
    __tablename__ = "groups"
    # (id, institution_id) is the target of composite keys that keep rows inside one tenant.
    __table_args__ = (UniqueConstraint("id", "institution_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)


class Child(TenantOwned, Timestamped, Base):
    __tablename__ = "children"
    __audit__: ClassVar[Audited] = Audited(kind="roster", child="id")
    __table_args__ = (
        UniqueConstraint("id", "institution_id"),
        ForeignKeyConstraint(
            ["group_id", "institution_id"], ["groups.id", "groups.institution_id"]
        ),
        Index("ix_children_institution_id_last_name", "institution_id", "last_name", "first_name"),
        CheckConstraint(
            "active_until IS NULL OR active_until >= active_from", name="active_period"
        ),
        # The municipality's or the roster system's own id (a roster import matches by it).
        UniqueConstraint("institution_id", "external_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    group_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    active_from: Mapped[date]
    active_until: Mapped[date | None]
    # Navne- og adressebeskyttelse: hidden from everything other guardians see.
    is_protected: Mapped[bool] = mapped_column(default=False)
    external_id: Mapped[str | None] = mapped_column(String(100))


class GuardianLink(TenantOwned, Timestamped, Base):
    __tablename__ = "guardian_links"
    __audit__: ClassVar[Audited] = Audited(kind="custody")
    __table_args__ = (
        UniqueConstraint("child_id", "user_id"),
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("access IN ('full', 'information', 'none')", name="access_level"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    relation: Mapped[str] = mapped_column(String(50), default="")
    has_custody: Mapped[bool] = mapped_column(default=True)
    access: Mapped[str] = mapped_column(String(16), default="full")


class StaffMembership(TenantOwned, Timestamped, Base):
    __tablename__ = "staff_memberships"
    __table_args__ = (
        UniqueConstraint("institution_id", "user_id"),
        UniqueConstraint("id", "institution_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    is_active: Mapped[bool] = mapped_column(default=True)


class StaffGroup(TenantOwned, Base):
    """The groups a staff member works in."""

    __tablename__ = "staff_groups"
    __table_args__ = (
        UniqueConstraint("staff_id", "group_id"),
        ForeignKeyConstraint(
            ["staff_id", "institution_id"],
            ["staff_memberships.id", "staff_memberships.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["group_id", "institution_id"], ["groups.id", "groups.institution_id"]
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(index=True)
    group_id: Mapped[uuid.UUID] = mapped_column(index=True)


class AdminMembership(TenantOwned, Timestamped, Base):
    __tablename__ = "admin_memberships"
    __table_args__ = (UniqueConstraint("institution_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)


MOVE_STATES = ("approved", "applied", "skipped")


class PlannedGroupMove(TenantOwned, Timestamped, Base):
    """A child's move to another group (or, with no `to_group_id`, out of the institution) on
    `effective_on`, planned and approved by an admin and applied by the worker on that date in
    the institution's time zone (app.institutions.service.moves). One plan per child and date.
    `skipped`: the child or the group was no longer there when the date came."""

    __tablename__ = "planned_group_moves"
    __table_args__ = (
        UniqueConstraint("child_id", "effective_on"),
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["to_group_id", "institution_id"], ["groups.id", "groups.institution_id"]
        ),
        ForeignKeyConstraint(
            ["from_group_id", "institution_id"], ["groups.id", "groups.institution_id"]
        ),
        Index(
            "ix_planned_group_moves_institution_id_state_effective_on",
            "institution_id",
            "state",
            "effective_on",
        ),
        CheckConstraint("state IN ('approved', 'applied', 'skipped')", name="move_state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID]
    # Where the child was when planned; None: no group.
    from_group_id: Mapped[uuid.UUID | None]
    # None: the child leaves the institution (its last day is the day before).
    to_group_id: Mapped[uuid.UUID | None]
    effective_on: Mapped[date]
    state: Mapped[str] = mapped_column(String(16), default="approved")
    planned_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    applied_at: Mapped[datetime | None]
