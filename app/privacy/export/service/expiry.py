"""Exports end: seven days after it was ready the ZIP is deleted from storage and the row
marked expired (it stays listed, without a link); a build that a dead worker left behind is
marked failed, so its person may ask again."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.db import RequestSession, write_transaction
from app.privacy.export.models import DataExport, ExportState
from app.storage import ObjectStorage

# Longer than any build takes (200 photos: seconds); a worker killed mid-build leaves it.
STALE_BUILD = timedelta(hours=2)
BATCH = 500


async def expire_data_exports(
    *, sessions: async_sessionmaker[RequestSession], storage: ObjectStorage, now: datetime
) -> int:
    """Delete the ZIPs of exports past their seven days; returns how many expired. The
    object goes first: a failed delete leaves the export ready, and the next run retries."""
    async with sessions() as db:
        due = (
            await db.execute(
                select(DataExport.id, DataExport.object_key)
                .where(DataExport.state == ExportState.READY.value, DataExport.expires_at <= now)
                .order_by(DataExport.expires_at)
                .limit(BATCH)
            )
        ).all()
        await db.rollback()
        expired = 0
        for export_id, key in due:
            if key:
                await storage.delete(key)
            async with write_transaction(db):
                await db.execute(
                    update(DataExport)
                    .where(DataExport.id == export_id, DataExport.state == ExportState.READY.value)
                    .values(state=ExportState.EXPIRED.value, object_key=None)
                )
            expired += 1
        async with write_transaction(db):
            await db.execute(
                update(DataExport)
                .where(
                    DataExport.state == ExportState.BUILDING.value,
                    DataExport.started_at < now - STALE_BUILD,
                )
                .values(
                    state=ExportState.FAILED.value,
                    progress=0,
                    failure_reason="data_export_interrupted",
                )
            )
    return expired
