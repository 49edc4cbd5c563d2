"""The rows a daily-log entry is written as: the entry itself and each of its versions,
which keep what it said (every correction and the deletion too)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.daybook.models import DayEntry, DayEntryVersion
from app.db import new_id
from app.institutions.models import Child


def snapshot(entry: DayEntry | dict[str, Any]) -> dict[str, Any]:
    get = entry.get if isinstance(entry, dict) else lambda key: getattr(entry, key)
    return {key: get(key) for key in ("kind", "at", "ends_at", "details", "note")}


def version_row(
    entry: dict[str, Any], *, change: str, changed: list[str], by: uuid.UUID, at: datetime
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "institution_id": entry["institution_id"],
        "entry_id": entry["id"],
        "version": entry["version"],
        "change": change,
        "changed_fields": changed,
        **snapshot(entry),
        "changed_by": by,
        "changed_at": at,
    }


def entry_row(
    *,
    actor: Actor,
    child: Child,
    day: date,
    at: datetime,
    ends_at: datetime | None,
    kind: str,
    details: dict[str, Any],
    note: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "institution_id": child.institution_id,
        "child_id": child.id,
        "day": day,
        "kind": kind,
        "at": at,
        "ends_at": ends_at,
        "details": details,
        "note": note,
        "version": 1,
        "recorded_by": actor.user_id,
        "created_at": now,
        "updated_at": now,
        "updated_by": actor.user_id,
        "deleted_at": None,
    }


async def insert_entries(db: AsyncSession, rows: list[dict[str, Any]], by: uuid.UUID) -> None:
    """New entries and their first versions: two statements, however many entries."""
    if not rows:
        return
    await db.execute(insert(DayEntry), rows)
    await db.execute(
        insert(DayEntryVersion),
        [
            version_row(row, change="created", changed=[], by=by, at=row["created_at"])
            for row in rows
        ],
    )
