"""Batch loads of files. A file has no visibility of its own: it is reached only through
the row that claimed it (a message, a photo), whose visibility rule was applied first;
here the tenant wall is all that is checked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.loading import aligned
from app.files.models import StoredFile


async def file_by_id(
    db: AsyncSession, actor: Actor, keys: Sequence[uuid.UUID]
) -> list[StoredFile | None]:
    rows = (
        await db.scalars(
            select(StoredFile).where(
                StoredFile.id.in_(keys), StoredFile.institution_id.in_(actor.institution_ids)
            )
        )
    ).all()
    return aligned(rows, keys)
