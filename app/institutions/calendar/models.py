"""The admin's yearly choice about a public holiday: kept open. The institution's own closing
days are app.institutions.models.ClosedDay (one row a day, with its label)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TenantOwned, new_id


class HolidayKeptOpen(TenantOwned, Base):
    """A Danish public holiday on which this institution is open (that date, so that year
    only): without a row, every public holiday counts as closed."""

    __tablename__ = "holidays_kept_open"
    __table_args__ = (UniqueConstraint("institution_id", "day"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"), index=True)
    day: Mapped[date]
