"""Asking for an export and listing one's own: `requestMyDataExport`, `myDataExports`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import Conflict, NotFound
from app.db import new_id, utcnow, write_transaction
from app.privacy.export.models import RUNNING, DataExport, ExportState
from app.privacy.export.policies import may_export, visible_exports
from app.storage import ObjectStorage
from app.storage.base import MAX_SIGNED_URL_SECONDS

# A person's list shows their latest exports; older rows are kept (expired) but not listed.
LIST_LIMIT = 20
# The download link lives as long as the export (7 days, S3's longest presigned URL).
LIFETIME_SECONDS = MAX_SIGNED_URL_SECONDS


async def request_my_data_export(*, db: AsyncSession, actor: Actor) -> DataExport:
    """Queue an export of everything this person may see (and, for custody holders, their
    children's data): the worker builds it. One running export per person at a time."""
    if not may_export(actor):
        raise NotFound()
    async with write_transaction(db):
        running = await db.scalar(
            select(DataExport.id).where(
                DataExport.user_id == actor.user_id, DataExport.state.in_(RUNNING)
            )
        )
        if running is not None:
            raise Conflict("data_export_running")
        export = DataExport(
            id=new_id(),
            user_id=actor.user_id,
            state=ExportState.QUEUED.value,
            progress=0,
            language=actor.language if actor.language in ("da", "en") else "da",
            requested_at=utcnow(),
        )
        db.add(export)
        try:
            await db.flush()
        except IntegrityError:  # the same person's other request won the race
            raise Conflict("data_export_running") from None
    return export


async def my_data_exports(*, db: AsyncSession, actor: Actor) -> Sequence[DataExport]:
    """The person's latest exports, newest first."""
    return (
        await db.scalars(
            select(DataExport)
            .where(visible_exports(actor))
            .order_by(DataExport.requested_at.desc(), DataExport.id.desc())
            .limit(LIST_LIMIT)
        )
    ).all()


def download_name(export: DataExport) -> str:
    return f"seddel-export-{export.requested_at.date().isoformat()}.zip"


async def download_url(
    storage: ObjectStorage, export: DataExport, *, now: datetime | None = None
) -> str | None:
    """A signed link to the ZIP, valid until the export expires; None unless it is ready."""
    if export.state != ExportState.READY.value or not export.object_key or not export.expires_at:
        return None
    seconds = int((export.expires_at - (now or utcnow())).total_seconds())
    if seconds <= 0:
        return None
    return await storage.signed_url(
        export.object_key,
        expires_in=min(seconds, LIFETIME_SECONDS),
        filename=download_name(export),
    )
