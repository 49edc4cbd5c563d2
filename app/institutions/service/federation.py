"""Which municipality an invitation's institution belongs to, for accepting an invitation with
the municipality's identity provider (app.accounts.federation.service.invited); registered
there, imported by app.root.handlers."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.federation.service import municipality_of_institution
from app.institutions.models import Institution


@municipality_of_institution
async def institutions_municipality(
    db: AsyncSession, institution_id: uuid.UUID
) -> uuid.UUID | None:
    """The municipality of an active institution (read within the caller's scope: the
    invitee's institutions); None for a closed or unseen one."""
    return await db.scalar(
        select(Institution.municipality_id).where(
            Institution.id == institution_id, Institution.is_active.is_(True)
        )
    )
