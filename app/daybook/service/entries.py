"""Use cases of the daily log: record, correct and delete entries, keeping every version;
the child's day for reading. The checks of an entry are in entry_checks.py, its rows and
versions in entry_rows.py, incidents and their receipts in incidents.py. Each change is
recorded as DayEntryChanged (app.daybook.events); live.py tells the child's day after commit."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.daybook.events import DayEntryChanged
from app.daybook.models import DayEntry, DayEntryVersion
from app.daybook.policies import can_read_child_day, can_write_entries, visible_day_entries
from app.daybook.service import kinds
from app.daybook.service.entry_checks import (
    check_times,
    clean_entry,
    place_of,
    resolve_given_by,
    take_consent,
)
from app.daybook.service.entry_rows import entry_row, insert_entries, snapshot, version_row
from app.daybook.service.incidents import notify_incident
from app.db import utcnow, write_transaction
from app.institutions.models import Child

MAX_RANGE_DAYS = 31


async def _writable_child(db: AsyncSession, actor: Actor, child_id: uuid.UUID) -> Child:
    child = await db.get(Child, child_id)
    if child is None or not can_write_entries(actor, child.institution_id):
        raise NotFound(field="childId")
    return child


# --- single entries -------------------------------------------------------------------------


async def record_entry(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    day: date,
    at: datetime,
    kind: str,
    details: dict[str, Any],
    ends_at: datetime | None = None,
    note: str = "",
) -> DayEntry:
    """Record one entry of a child's day (staff and admins of the child's institution)."""
    async with write_transaction(db):
        child = await _writable_child(db, actor, child_id)
        place = await place_of(db, child.institution_id)
        if kind not in kinds.SCHEMA:
            raise ValidationFailed("invalid_entry_kind", field="details")
        if kind != "sleep" and ends_at is not None:
            raise ValidationFailed("unknown_entry_detail", field=f"details.{kind}.endsAt")
        check_times(place, day=day, at=at, ends_at=ends_at, kind=kind)
        consent_id = None
        if kind == "medication":
            details, consent_id = await take_consent(
                db, child_id=child.id, day=day, at=at, details=details
            )
            details = await resolve_given_by(db, actor, child.institution_id, details)
        cleaned, text = clean_entry(kind, details, note)
        if consent_id is not None:
            cleaned["consent_id"] = consent_id
        row = entry_row(
            actor=actor,
            child=child,
            day=day,
            at=at,
            ends_at=ends_at,
            kind=kind,
            details=cleaned,
            note=text,
            now=utcnow(),
        )
        await insert_entries(db, [row], actor.user_id)
        if kind == "incident":
            await notify_incident(db, actor, row)
        await events.record(
            db,
            DayEntryChanged(
                institution_id=row["institution_id"], child_id=row["child_id"], entry_id=row["id"]
            ),
        )
    return DayEntry(**row)


async def _writable_entry(db: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> DayEntry:
    entry = await db.get(DayEntry, entry_id)
    if entry is None or not can_write_entries(actor, entry.institution_id):
        raise NotFound(field="entryId")
    if entry.deleted_at is not None:
        raise NotFound("entry_deleted", field="entryId")
    return entry


async def correct_entry(
    *,
    db: AsyncSession,
    actor: Actor,
    entry_id: uuid.UUID,
    at: datetime,
    kind: str,
    details: dict[str, Any],
    ends_at: datetime | None = None,
    note: str = "",
) -> DayEntry:
    """Replace an entry's content; the previous versions stay in its history. The kind and
    the day stay: a wrong kind is deleted and recorded anew."""
    async with write_transaction(db):
        entry = await _writable_entry(db, actor, entry_id)
        if kind != entry.kind:
            raise ValidationFailed("entry_kind_fixed", field="details")
        if kind != "sleep" and ends_at is not None:
            raise ValidationFailed("unknown_entry_detail", field=f"details.{kind}.endsAt")
        place = await place_of(db, entry.institution_id)
        check_times(place, day=entry.day, at=at, ends_at=ends_at, kind=kind)
        consent_id = None
        if kind == "medication":
            details, consent_id = await take_consent(
                db, child_id=entry.child_id, day=entry.day, at=at, details=details
            )
            details = await resolve_given_by(db, actor, entry.institution_id, details)
        cleaned, text = clean_entry(kind, details, note)
        if consent_id is not None:
            cleaned["consent_id"] = consent_id
        before = snapshot(entry)
        after = {"kind": kind, "at": at, "ends_at": ends_at, "details": cleaned, "note": text}
        changed = kinds.changed_fields(before, after)
        if not changed:
            return entry
        now = utcnow()
        entry.at, entry.ends_at, entry.details, entry.note = at, ends_at, cleaned, text
        entry.version += 1
        entry.updated_at, entry.updated_by = now, actor.user_id
        db.add(
            DayEntryVersion(
                **version_row(
                    _as_dict(entry), change="corrected", changed=changed, by=actor.user_id, at=now
                )
            )
        )
        if kind == "incident":
            await notify_incident(db, actor, entry)
        await events.record(
            db,
            DayEntryChanged(
                institution_id=entry.institution_id, child_id=entry.child_id, entry_id=entry.id
            ),
        )
    return entry


def _as_dict(entry: DayEntry) -> dict[str, Any]:
    return {
        key: getattr(entry, key)
        for key in ("id", "institution_id", "version", "kind", "at", "ends_at", "details", "note")
    }


async def delete_entry(*, db: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> DayEntry:
    """Take an entry out of the child's day; its history (and the deletion) stay."""
    async with write_transaction(db):
        entry = await _writable_entry(db, actor, entry_id)
        now = utcnow()
        entry.version += 1
        entry.deleted_at = entry.updated_at = now
        entry.updated_by = actor.user_id
        db.add(
            DayEntryVersion(
                **version_row(
                    _as_dict(entry), change="deleted", changed=[], by=actor.user_id, at=now
                )
            )
        )
        await events.record(
            db,
            DayEntryChanged(
                institution_id=entry.institution_id, child_id=entry.child_id, entry_id=entry.id
            ),
        )
    return entry


# --- reads ----------------------------------------------------------------------------------


async def readable_child(db: AsyncSession, actor: Actor, child_id: uuid.UUID) -> Child | None:
    child = await db.get(Child, child_id)
    if child is None or not can_read_child_day(actor, child.institution_id, child.id):
        return None
    return child


async def entries_of_child(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    start: date,
    end: date,
    include_deleted: bool = False,
) -> tuple[Child, list[DayEntry]] | None:
    """The child's entries of [start, end] in time order (one statement), or None when the
    child is not there for this actor. Deleted entries only for staff who ask for them."""
    if end < start:
        raise ValidationFailed("period_order", field="to")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed("range_too_long", field="to", days=MAX_RANGE_DAYS)
    child = await readable_child(db, actor, child_id)
    if child is None:
        return None
    statement = select(DayEntry).where(
        DayEntry.child_id == child.id,
        DayEntry.day >= start,
        DayEntry.day <= end,
        visible_day_entries(actor),
    )
    if not (include_deleted and actor.works_in(child.institution_id)):
        statement = statement.where(DayEntry.deleted_at.is_(None))
    rows = await db.scalars(statement.order_by(DayEntry.day, DayEntry.at, DayEntry.id))
    return child, list(rows.all())
