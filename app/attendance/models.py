"""Pickup persons (hentetilladelse) and the child's pickup codeword."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

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

from app.db import Base, TenantOwned, Timestamped, new_id, utcnow


class PickupPerson(TenantOwned, Timestamped, Base):
    """Someone a guardian with custody allowed to pick the child up."""

    __tablename__ = "pickup_persons"
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


class PickupCodeword(TenantOwned, Timestamped, Base):
    """A word a stranger says at the door; set by a guardian with custody, read only by staff."""

    __tablename__ = "pickup_codewords"
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


class Absence(TenantOwned, Timestamped, Base):
    """Sickness, vacation or other absence. Sickness may stay open (until_day NULL) until
    the child is reported well: it is never reset overnight."""

    __tablename__ = "absences"
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("until_day IS NULL OR until_day >= from_day", name="period"),
        CheckConstraint("kind IN ('sick', 'vacation', 'other')", name="kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    from_day: Mapped[date]
    until_day: Mapped[date | None]
    note: Mapped[str] = mapped_column(String(1000), default="")
    registered_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


# --- pickup plan (h3-plan) ------------------------------------------------------------------

LEAVE_MODES = ("guardian", "pickup_person", "alone", "with_child", "sent_home")


class PickupPlan(TenantOwned, Timestamped, Base):
    """How a child comes and goes: a weekly default (weekday set) or one date's override
    (day set). A companion child's guardian answers "with_child" plans (companion_status)."""

    __tablename__ = "pickup_plans"
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


# --- vacation survey (h3-plan) --------------------------------------------------------------


class VacationSurvey(TenantOwned, Timestamped, Base):
    """ "Register the summer: weeks 28-31, answer by 1 June": opened by an admin."""

    __tablename__ = "vacation_surveys"
    __table_args__ = (
        UniqueConstraint("id", "institution_id"),
        CheckConstraint("last_day >= first_day", name="period"),
        CheckConstraint("deadline < first_day", name="deadline"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    first_day: Mapped[date]
    last_day: Mapped[date]
    deadline: Mapped[date]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class VacationAnswer(TenantOwned, Timestamped, Base):
    """A guardian's answer for one child and day: coming or not, optionally when."""

    __tablename__ = "vacation_answers"
    __table_args__ = (
        ForeignKeyConstraint(
            ["survey_id", "institution_id"],
            ["vacation_surveys.id", "vacation_surveys.institution_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("survey_id", "child_id", "day"),
        Index("ix_vacation_answers_child_id_day", "child_id", "day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    survey_id: Mapped[uuid.UUID]
    child_id: Mapped[uuid.UUID]
    day: Mapped[date]
    coming: Mapped[bool]
    arrival: Mapped[time | None]
    pickup: Mapped[time | None]
    answered_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


# --- Presence: check-in/out on tablets and the kiosk (h4-presence) -----------------------------


class Presence(TenantOwned, Base):
    """One stay of a child: checked in, and (later) checked out. On PostgreSQL an exclusion
    constraint refuses two overlapping stays of one child (migration 0040)."""

    __tablename__ = "presences"
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(
            "checked_out_at IS NULL OR checked_out_at > checked_in_at", name="interval"
        ),
        CheckConstraint(
            "picked_up_by_kind IS NULL OR picked_up_by_kind IN"
            " ('guardian', 'pickup_person', 'other')",
            name="picked_up_by_kind",
        ),
        Index("ix_presences_child_id_checked_in_at", "child_id", "checked_in_at"),
        Index("ix_presences_institution_id_checked_in_at", "institution_id", "checked_in_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    child_id: Mapped[uuid.UUID]
    group_id: Mapped[uuid.UUID | None]
    checked_in_at: Mapped[datetime]
    checked_in_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    checked_in_device: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    checked_out_at: Mapped[datetime | None]
    checked_out_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    checked_out_device: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    picked_up_by_kind: Mapped[str | None] = mapped_column(String(16))
    picked_up_by_user: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    picked_up_by_person: Mapped[uuid.UUID | None]
    picked_up_by_name: Mapped[str | None] = mapped_column(String(200))
    override_reason: Mapped[str | None] = mapped_column(String(500))
    # Closed by the nightly job: the time is a guess until staff confirm it.
    checkout_estimated: Mapped[bool] = mapped_column(default=False)


class PresenceEvent(TenantOwned, Base):
    """The log of what tablets sent, keyed by the client-made ID: a retry finds its event."""

    __tablename__ = "presence_events"
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(
            "kind IN ('check_in', 'check_out', 'undo', 'confirm', 'auto_close')", name="kind"
        ),
        Index("ix_presence_events_child_id_occurred_at", "child_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    child_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    presence_id: Mapped[uuid.UUID | None]
    target_event_id: Mapped[uuid.UUID | None]
    override_reason: Mapped[str | None] = mapped_column(String(500))
    undone_at: Mapped[datetime | None]


class KioskTokenUse(TenantOwned, Base):
    """A kiosk QR token is single-use: its nonce is kept once redeemed."""

    __tablename__ = "kiosk_token_uses"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
