"""Absences: sickness, vacation or other absence of a child."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.audit import Audited
from app.db import Base, TenantOwned, Timestamped, new_id


class Absence(TenantOwned, Timestamped, Base):
    """Sickness, vacation or other absence. Sickness may stay open (until_day NULL) until
    the child is reported well: it is never reset overnight."""

    __tablename__ = "absences"
    __audit__: ClassVar[Audited] = Audited(kind="absences")
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
