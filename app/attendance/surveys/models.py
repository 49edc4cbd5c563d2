"""Vacation surveys and the guardians' answers per child and day."""

from __future__ import annotations

import uuid
from datetime import date, time
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
    __audit__: ClassVar[Audited] = Audited(kind="absences")
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
