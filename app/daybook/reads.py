"""Read model of a child's day (or a few days) in the daily log: the child and its entries
with who recorded them (one statement), the day's photos (app.gallery.reads, one), and,
only when an entry is an incident or a medication, the guardians' receipts and the names of
who gave medicine (one). Three statements at most whatever the number of entries, photos or
receipts, into light rows, through the log's visibility rules (policies)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Uuid,
    and_,
    cast,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.daybook.models import DayEntry, IncidentReceipt
from app.daybook.policies import can_read_child_day, visible_day_entries
from app.gallery.reads import PhotoRow, child_day_photos
from app.institutions.models import Child
from app.institutions.reads import ChildRow, child_columns, child_of

MAX_RANGE_DAYS = 31
ENTRY_COLUMNS = (
    DayEntry.id,
    DayEntry.institution_id,
    DayEntry.child_id,
    DayEntry.day,
    DayEntry.kind,
    DayEntry.at,
    DayEntry.ends_at,
    DayEntry.details,
    DayEntry.note,
    DayEntry.version,
    DayEntry.created_at,
    DayEntry.updated_at,
    DayEntry.deleted_at,
    DayEntry.recorded_by,
)


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    """A guardian's receipt of an incident, with the guardian's name."""

    user_id: uuid.UUID
    guardian_name: str | None
    notified_at: datetime
    confirmed_at: datetime | None
    confirmed_version: int | None


@dataclass(slots=True)
class DayEntryRow:
    """What the DayEntry type shows of an entry, with the names it shows and (incidents)
    the receipts the actor may see."""

    id: uuid.UUID
    institution_id: uuid.UUID
    child_id: uuid.UUID
    day: date
    kind: str
    at: datetime
    ends_at: datetime | None
    details: dict[str, Any]
    note: str
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    recorded_by: uuid.UUID
    recorded_by_name: str | None
    given_by_name: str | None = None
    receipts: list[ReceiptRow] = field(default_factory=list)
    needs_my_confirmation: bool = False


@dataclass(frozen=True, slots=True)
class ChildDayRow:
    date: date
    child: ChildRow
    entries: list[DayEntryRow]
    photos: list[PhotoRow]


async def child_days(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    start: date,
    end: date,
    include_deleted: bool = False,
) -> list[ChildDayRow] | None:
    """Each day of [start, end] of the child: its entries in time order and its photos, or
    None when the child is not there for this actor (its institution's staff and its
    guardians). Deleted entries only for staff who ask for them."""
    if end < start:
        raise ValidationFailed("period_order", field="to")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed("range_too_long", field="to", days=MAX_RANGE_DAYS)
    rows = (await db.execute(entries_statement(actor, child_id, start, end, include_deleted))).all()
    if not rows or not can_read_child_day(actor, rows[0].child_institution_id, child_id):
        return None
    child = child_of(rows[0])
    entries = [_entry_of(row) for row in rows if row.id is not None]
    await _add_receipts_and_names(db, actor, entries)
    photos = await child_day_photos(
        db, actor, child_id=child.id, institution_id=child.institution_id, start=start, end=end
    )
    by_day: dict[date, list[DayEntryRow]] = defaultdict(list)
    for entry in entries:
        by_day[entry.day].append(entry)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [ChildDayRow(d, child, by_day.get(d, []), photos.get(d, [])) for d in days]


def entries_statement(
    actor: Actor, child_id: uuid.UUID, start: date, end: date, include_deleted: bool
) -> Any:
    """The child, and its entries of the period (none: one row with the child alone)."""
    shown: ColumnElement[bool] = DayEntry.deleted_at.is_(None)
    if include_deleted:  # for the institution's staff only
        shown = or_(shown, Child.institution_id.in_(actor.employed_in))
    return (
        select(*child_columns(), *ENTRY_COLUMNS, User.name.label("recorded_by_name"))
        .select_from(Child)
        .outerjoin(
            DayEntry,
            and_(
                DayEntry.child_id == Child.id,
                DayEntry.day >= start,
                DayEntry.day <= end,
                visible_day_entries(actor),
                shown,
            ),
        )
        .outerjoin(User, User.id == DayEntry.recorded_by)
        .where(Child.id == child_id)
        .order_by(DayEntry.day, DayEntry.at, DayEntry.id)
    )


def _entry_of(row: Any) -> DayEntryRow:
    return DayEntryRow(
        **{c.key: getattr(row, c.key) for c in ENTRY_COLUMNS},
        recorded_by_name=row.recorded_by_name,
    )


async def _add_receipts_and_names(
    db: AsyncSession, actor: Actor, entries: list[DayEntryRow]
) -> None:
    """One statement for the receipts of the incidents (staff: every guardian's; a
    guardian: their own) and the names of who gave medicine; none when there are neither."""
    incidents = [e.id for e in entries if e.kind == "incident"]
    givers = {_given_by(e) for e in entries if e.kind == "medication"} - {None}
    parts = []
    if incidents:
        parts.append(
            select(
                literal("receipt").label("part"),
                IncidentReceipt.entry_id,
                IncidentReceipt.user_id,
                User.name,
                IncidentReceipt.notified_at,
                IncidentReceipt.confirmed_at,
                IncidentReceipt.confirmed_version,
                IncidentReceipt.id.label("receipt_id"),
            )
            .select_from(IncidentReceipt)
            .outerjoin(User, User.id == IncidentReceipt.user_id)
            .where(
                IncidentReceipt.entry_id.in_(incidents),
                or_(
                    IncidentReceipt.institution_id.in_(actor.employed_in),
                    IncidentReceipt.user_id == actor.user_id,
                ),
            )
        )
    if givers:
        parts.append(
            select(
                literal("user").label("part"),
                cast(null(), Uuid).label("entry_id"),
                User.id.label("user_id"),
                User.name,
                cast(null(), IncidentReceipt.notified_at.type).label("notified_at"),
                cast(null(), IncidentReceipt.confirmed_at.type).label("confirmed_at"),
                cast(null(), Integer).label("confirmed_version"),
                cast(null(), Uuid).label("receipt_id"),
            ).where(User.id.in_(givers))
        )
    if not parts:
        return
    both = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    rows = await db.execute(
        select(both).order_by(both.c.part, both.c.entry_id, both.c.notified_at, both.c.receipt_id)
    )
    receipts: dict[uuid.UUID, list[ReceiptRow]] = defaultdict(list)
    names: dict[uuid.UUID, str] = {}
    for row in rows.all():
        if row.part == "user":
            names[row.user_id] = row.name
            continue
        receipts[row.entry_id].append(
            ReceiptRow(
                row.user_id, row.name, row.notified_at, row.confirmed_at, row.confirmed_version
            )
        )
    for entry in entries:
        if entry.kind == "incident":
            entry.receipts = receipts.get(entry.id, [])
            entry.needs_my_confirmation = _needs_confirmation(actor, entry)
        elif entry.kind == "medication":
            given_by = _given_by(entry)
            entry.given_by_name = names.get(given_by) if given_by else None


def _given_by(entry: DayEntryRow) -> uuid.UUID | None:
    raw = entry.details.get("given_by")
    return uuid.UUID(str(raw)) if raw else None


def _needs_confirmation(actor: Actor, entry: DayEntryRow) -> bool:
    """For a guardian: the current version still waits for their confirmation."""
    if entry.child_id not in actor.children or entry.deleted_at is not None:
        return False
    mine = [r for r in entry.receipts if r.user_id == actor.user_id]
    return not mine or mine[0].confirmed_version != entry.version
