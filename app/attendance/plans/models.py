"""The pickup plan: entries (weekly defaults and date overrides), their history of changes,
and the permission to go home alone."""

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
from app.db import Base, TenantOwned, Timestamped, new_id, utcnow

LEAVE_MODES = ("guardian", "pickup_person", "alone", "with_child", "sent_home")


class PickupPlan(TenantOwned, Timestamped, Base):
    """How a child comes and goes: a weekly default (weekday set) or one date's override
    (day set). A companion child's guardian answers "with_child" plans (companion_status)."""

    __tablename__ = "pickup_plans"
    __audit__: ClassVar[Audited] = Audited(kind="pickup")
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["companion_child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["pickup_person_id", "institution_id"],
            ["pickup_persons.id", "pickup_persons.institution_id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("child_id", "day"),
        UniqueConstraint("child_id", "weekday"),
        CheckConstraint("(day IS NULL) <> (weekday IS NULL)", name="day_or_weekday"),
        CheckConstraint("weekday IS NULL OR (weekday >= 0 AND weekday <= 6)", name="weekday"),
        CheckConstraint(
            "leave_mode IN ('guardian', 'pickup_person', 'alone', 'with_child', 'sent_home')",
            name="leave_mode",
        ),
        CheckConstraint(
            "companion_status IS NULL OR companion_status IN ('pending', 'accepted', 'declined')",
            name="companion_status",
        ),
        Index("ix_pickup_plans_companion_child_id", "companion_child_id"),
        Index("ix_pickup_plans_pickup_person_id", "pickup_person_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID] = mapped_column(index=True)
    weekday: Mapped[int | None]  # 0 = Monday
    day: Mapped[date | None]
    arrival: Mapped[time | None]
    pickup: Mapped[time | None]
    alone_until: Mapped[time | None]
    leave_mode: Mapped[str] = mapped_column(String(16))
    pickup_person_id: Mapped[uuid.UUID | None]
    guardian_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    companion_child_id: Mapped[uuid.UUID | None]
    companion_status: Mapped[str | None] = mapped_column(String(16))
    companion_answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    companion_answered_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(1000), default="")
    updated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class PickupPlanChange(TenantOwned, Base):
    """Every change of a child's plan: who, when, what (a snapshot), and whether staff changed
    it after the cut-off."""

    __tablename__ = "pickup_plan_changes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        Index("ix_pickup_plan_changes_child_id_day", "child_id", "day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID]
    day: Mapped[date | None]
    weekday: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after_cutoff: Mapped[bool] = mapped_column(default=False)
    changed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GoHomeAlonePermission(TenantOwned, Timestamped, Base):
    """A custody guardian's standing permission for the child to go home alone."""

    __tablename__ = "go_home_alone_permissions"
    __audit__: ClassVar[Audited] = Audited(kind="pickup")
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
    )

    child_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    granted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
