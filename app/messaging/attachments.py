"""Attachments of messages: files uploaded through POST /uploads (purpose "attachment"),
claimed by a message, downloadable by the thread's participants only, deleted with it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.storage import ObjectStorage

log = logging.getLogger(__name__)


async def forget_thread_files(db: AsyncSession, thread_ids: Sequence[uuid.UUID]) -> list[str]:
    """Delete the file rows of these threads' messages; returns the object keys to delete
    after commit."""
    return []


async def delete_objects_quietly(storage: ObjectStorage, keys: Sequence[str]) -> None:
    """After commit: remove objects; a failure is logged (the rows are gone already)."""
    for key in keys:
        try:
            await storage.delete(key)
        except Exception:  # pragma: no cover - logged; an orphan object is harmless
            log.exception("could not delete object %s", key)
