"""A guardian's choice, per child, of what the other guardians of the child's group see."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TenantOwned, Timestamped, new_id


class ContactSharing(TenantOwned, Timestamped, Base):
    """No row means nothing is shown (the default); withdrawing sets every flag off. The row
    goes with the guardian's link to the child."""

    __tablename__ = "contact_sharing"
    __table_args__ = (
        UniqueConstraint("child_id", "user_id"),
        ForeignKeyConstraint(
            ["child_id", "user_id"],
            ["guardian_links.child_id", "guardian_links.user_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["child_id", "institution_id"],
            ["children.id", "children.institution_id"],
            ondelete="CASCADE",
        ),
        Index("ix_contact_sharing_institution_id_child_id", "institution_id", "child_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    child_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    show_name: Mapped[bool] = mapped_column(default=False)
    show_phone: Mapped[bool] = mapped_column(default=False)
    show_email: Mapped[bool] = mapped_column(default=False)
