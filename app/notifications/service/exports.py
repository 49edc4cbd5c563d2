""" "Your data export is ready": a push and an e-mail to the person who asked, written into
the outbox in the transaction that marks the export ready (app.privacy.export). Neither
carries anything of the export; the link opens the app's list of exports."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.events import on
from app.notifications.service.outbox import enqueue
from app.privacy.export.events import DataExportReady

DATA_EXPORT_READY = "data_export_ready"
LINK = "/my-data-exports"


@on(DataExportReady)
async def announce_data_export(db: AsyncSession, ready: DataExportReady) -> None:
    await enqueue(
        db=db,
        institution_id=ready.institution_id,
        recipients=[ready.user_id],
        kind=DATA_EXPORT_READY,
        subject_id=ready.export_id,
        sender_name="Seddel",
        link=LINK,
    )
