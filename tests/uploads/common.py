"""Reading back what an upload left in the database (as the owner of its institution)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.api.ids import decode
from app.core.runtime import Runtime
from app.db import scope
from app.files.models import StoredFile

PAEDAGOG = "pernille@solsikken.example"
METTE = "mette@example.com"


async def stored_row(runtime: Runtime, institution: str, file_id: str) -> StoredFile | None:
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(institution, "Institution", field="i")], user_id=None)
        return await db.get(StoredFile, decode(file_id, "File", field="f"))


async def stored_count(runtime: Runtime, institution: str) -> int:
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(institution, "Institution", field="i")], user_id=None)
        return int(await db.scalar(select(func.count()).select_from(StoredFile)) or 0)
