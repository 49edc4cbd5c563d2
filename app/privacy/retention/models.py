"""Legal holds: an admin's "do not delete" on a child or a thread, with reason, who and when,
until an admin releases it.

No foreign keys to the child, the thread or the users: a hold is a record of a decision and
outlives what it held once released (the subject may go at the next retention run) and the
accounts of whoever placed or released it; so their names are kept as they were then."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TenantOwned, new_id, utcnow

REASON_MAX = 1000


class LegalHold(TenantOwned, Base):
    __tablename__ = "legal_holds"
    __table_args__ = (
        CheckConstraint("(child_id IS NULL) <> (thread_id IS NULL)", name="one_subject"),
        # The retention run reads the institution's holds in force; the admins' list pages by
        # placed_at.
        Index("ix_legal_holds_institution_id_placed_at", "institution_id", "placed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    child_id: Mapped[uuid.UUID | None]
    thread_id: Mapped[uuid.UUID | None]
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    placed_by: Mapped[uuid.UUID]
    placed_by_name: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by: Mapped[uuid.UUID | None]
    released_by_name: Mapped[str | None] = mapped_column(String(200))
    released_at: Mapped[datetime | None]

    @property
    def in_force(self) -> bool:
        return self.released_at is None


class AccountErasureNotice(Base):
    """An account left without any link, told so by e-mail (`told_at`) and erased at
    `erase_after` unless a link comes back first (then the notice goes). Not tenant-owned:
    such an account belongs to no institution any more."""

    __tablename__ = "account_erasure_notices"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    told_at: Mapped[datetime]
    erase_after: Mapped[datetime] = mapped_column(index=True)
    erased_at: Mapped[datetime | None]
