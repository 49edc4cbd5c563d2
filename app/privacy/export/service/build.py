"""Building an export in the worker: claim a queued one, gather what the person may see
through the gatherer app.root registers (the API's own queries run as that person: exactly
what the apps would show them), write the ZIP to object storage while it is made (never the
whole archive in memory: one entry at a time, an S3 multipart upload part by part), then
mark it ready for seven days and announce it.

This slice is lower in the import order than the slices whose data it exports, so the
gathering is handed in (`Gatherer`), as retention rules are registered upward."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.accounts.models import User
from app.core.actor import Actor
from app.core.events import record
from app.core.i18n import translate
from app.core.zipstream import ZipEntry, stream_zip_entries
from app.db import RequestSession, scope, scope_to, utcnow, write_transaction
from app.institutions.service.actor import load_actor
from app.privacy.export.events import DataExportReady
from app.privacy.export.models import DataExport, ExportState
from app.privacy.export.service.requests import LIFETIME_SECONDS
from app.storage import ObjectNotFound, ObjectStorage, StorageError

log = logging.getLogger("seddel.export")

# Exports built per worker round: a round stays short; the next round takes the rest.
PER_ROUND = 3
# Progress is written when it moved by this much (a statement each time).
PROGRESS_STEP = 5


@dataclass(frozen=True)
class JsonPart:
    """One JSON file of the archive (a kind of data), as the API answered it."""

    name: str
    data: object


@dataclass(frozen=True)
class FilePart:
    """A stored object (a photo at full resolution, an attachment) copied into the archive."""

    name: str
    key: str
    modified: datetime


Part = JsonPart | FilePart
Progress = Callable[[float], Awaitable[None]]


class Gatherer(Protocol):
    """Everything `actor` may see, part by part; calls `progress` with the share done."""

    def __call__(
        self, *, db: RequestSession, actor: Actor, now: datetime, progress: Progress
    ) -> AsyncIterator[Part]: ...


def object_key(export: DataExport) -> str:
    return f"users/{export.user_id}/exports/{export.id}.zip"


async def build_queued_exports(
    *,
    sessions: async_sessionmaker[RequestSession],
    storage: ObjectStorage,
    gather: Gatherer,
    now: datetime | None = None,
    limit: int = PER_ROUND,
) -> list[uuid.UUID]:
    """Build the oldest queued exports (at most `limit`); returns those this call claimed.
    Several workers may run it: each export is claimed by one conditional update."""
    built = []
    for _ in range(limit):
        export_id = await _claim(sessions, now or utcnow())
        if export_id is None:
            break
        await build_export(sessions=sessions, storage=storage, gather=gather, export_id=export_id)
        built.append(export_id)
    return built


async def _claim(sessions: async_sessionmaker[RequestSession], now: datetime) -> uuid.UUID | None:
    async with sessions() as db, write_transaction(db):
        for export_id in (
            await db.scalars(
                select(DataExport.id)
                .where(DataExport.state == ExportState.QUEUED.value)
                .order_by(DataExport.requested_at, DataExport.id)
                .limit(5)
            )
        ).all():
            claimed = await db.execute(
                update(DataExport)
                .where(DataExport.id == export_id, DataExport.state == ExportState.QUEUED.value)
                .values(state=ExportState.BUILDING.value, started_at=now, progress=1)
            )
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                return export_id
    return None


async def build_export(
    *,
    sessions: async_sessionmaker[RequestSession],
    storage: ObjectStorage,
    gather: Gatherer,
    export_id: uuid.UUID,
) -> str:
    """Build one claimed export; returns its final state (ready or failed)."""
    async with sessions() as db:
        export = await db.get(DataExport, export_id)
        if export is None or export.state != ExportState.BUILDING.value:
            return export.state if export else ExportState.FAILED.value
        await db.commit()
    key = object_key(export)
    reporter = _ProgressWriter(sessions, export_id)
    try:
        async with sessions() as db:
            user = await db.get(User, export.user_id)
            if user is None or not user.is_active:
                raise LookupError("the person is gone")
            actor = await load_actor(db=db, user=user, session=None)
            await scope_to(db, actor)  # what the person's own requests reach, no more
            started = utcnow()
            entries = _entries(
                gather(db=db, actor=actor, now=started, progress=reporter),
                storage=storage,
                readme=_readme(export.language, actor, started),
                now=started,
            )
            size = await storage.put_stream(
                key, stream_zip_entries(entries), content_type="application/zip"
            )
            if db.in_transaction():
                await db.commit()  # what the gathering logged (app.privacy.accesslog)
    except Exception as error:
        log.exception("data export %s failed", export_id)
        reason = (
            "data_export_storage_failed"
            if isinstance(error, StorageError)
            else "data_export_build_failed"
        )
        await _finish(sessions, export_id, state=ExportState.FAILED, failure_reason=reason)
        return ExportState.FAILED.value
    ready_at = utcnow()
    institution = min(actor.institution_ids, default=None)
    await _finish(
        sessions,
        export_id,
        state=ExportState.READY,
        object_key=key,
        size_bytes=size,
        ready_at=ready_at,
        expires_at=ready_at + timedelta(seconds=LIFETIME_SECONDS),
        announce=DataExportReady(export_id, export.user_id, institution) if institution else None,
    )
    return ExportState.READY.value


class _ProgressWriter:
    def __init__(self, sessions: async_sessionmaker[RequestSession], export_id: uuid.UUID) -> None:
        self.sessions = sessions
        self.export_id = export_id
        self.written = 1

    async def __call__(self, share: float) -> None:
        # 1..99 while building: 100 is "ready", which only _finish writes.
        percent = max(1, min(99, int(share * 100)))
        if percent - self.written < PROGRESS_STEP:
            return
        self.written = percent
        async with self.sessions() as db, write_transaction(db):
            await db.execute(
                update(DataExport)
                .where(
                    DataExport.id == self.export_id,
                    DataExport.state == ExportState.BUILDING.value,
                )
                .values(progress=percent)
            )


async def _finish(
    sessions: async_sessionmaker[RequestSession],
    export_id: uuid.UUID,
    *,
    state: ExportState,
    announce: DataExportReady | None = None,
    **values: object,
) -> None:
    async with sessions() as db:
        if announce is not None:  # the outbox row is the institution's (row-level security)
            scope(db, institution_ids=[announce.institution_id], user_id=None)
        async with write_transaction(db):
            await db.execute(
                update(DataExport)
                .where(DataExport.id == export_id)
                .values(
                    state=state.value,
                    progress=100 if state == ExportState.READY else 0,
                    **values,
                )
            )
            if announce is not None:
                await record(db, announce)


def _readme(language: str, actor: Actor, now: datetime) -> ZipEntry:
    text = translate(
        "data_export_readme", language, made=now.strftime("%Y-%m-%d %H:%M UTC"), name=actor.name
    )
    name = "LAESMIG.txt" if language == "da" else "README.txt"
    return ZipEntry(name, text.encode("utf-8"), now, compress=True)


async def _entries(
    parts: AsyncIterator[Part], *, storage: ObjectStorage, readme: ZipEntry, now: datetime
) -> AsyncIterator[ZipEntry]:
    yield readme
    async for part in parts:
        if isinstance(part, JsonPart):
            data = json.dumps(part.data, ensure_ascii=False, indent=2, default=str)
            yield ZipEntry(part.name, data.encode("utf-8"), now, compress=True)
            continue
        try:
            content = await storage.get(part.key)
        except ObjectNotFound:
            continue  # deleted while the export ran
        yield ZipEntry(part.name, content, part.modified)


__all__ = [
    "FilePart",
    "Gatherer",
    "JsonPart",
    "Part",
    "Progress",
    "build_export",
    "build_queued_exports",
    "object_key",
]
