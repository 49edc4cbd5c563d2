"""Use cases of the daily log: record, correct and delete entries, keeping every version;
incidents with the guardians' receipts; the child's day for reading."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.actor import Actor
from app.daybook import kinds
from app.daybook.models import DayEntry, DayEntryVersion, IncidentReceipt
from app.daybook.policies import (
    can_read_child_day,
    can_write_entries,
    is_guardian_of,
    visible_day_entries,
)
from app.db import new_id, utcnow, write_transaction
from app.errors import NotFound, ValidationFailed
from app.institutions.models import Child, GuardianLink, Institution, StaffMembership
from app.notifications import service as notifications
from app.realtime import Broker

log = logging.getLogger(__name__)

# A tablet's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)
MAX_RANGE_DAYS = 31


def channel(child_id: uuid.UUID) -> str:
    """The broker channel of a child's day: entries and visible photos (gallery) meet here."""
    return f"child-day:{child_id}"


async def publish(
    broker: Broker | None, child_id: uuid.UUID, kind: str, ids: list[uuid.UUID]
) -> None:
    """After commit: tell subscribers of the child's day; a broker failure never undoes a
    committed write (delivery is best effort, apps re-read on reconnect)."""
    if broker is None:
        return
    for id_ in ids:
        try:
            await broker.publish(channel(child_id), {"kind": kind, "id": str(id_)})
        except Exception:
            log.warning("could not publish %s %s", kind, id_, exc_info=True)


@dataclass(frozen=True)
class Place:
    """The child's institution, its timezone and today there."""

    institution_id: uuid.UUID
    tz: ZoneInfo
    today: date


async def place_of(db: AsyncSession, institution_id: uuid.UUID) -> Place:
    institution = await db.get(Institution, institution_id)
    assert institution is not None
    tz = ZoneInfo(institution.timezone)
    return Place(institution_id, tz, datetime.now(tz).date())


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def check_times(
    place: Place, *, day: date, at: datetime, ends_at: datetime | None, kind: str, field: str = ""
) -> None:
    """The day is not in the future; the times lie on that day in the institution's
    timezone and not ahead of now; a sleep ends after it starts."""
    if day > place.today:
        raise ValidationFailed("entry_day_in_future", field=f"{field}day")
    limit = utcnow() + CLOCK_SKEW
    for name, value in (("at", at), (f"details.{kind}.endsAt", ends_at)):
        if value is None:
            continue
        if value.tzinfo is None:
            raise ValidationFailed("time_without_zone", field=f"{field}{name}")
        if value.astimezone(place.tz).date() != day:
            raise ValidationFailed("time_not_on_day", field=f"{field}{name}", day=day.isoformat())
        if value > limit:
            raise ValidationFailed("time_in_future", field=f"{field}{name}")
    if ends_at is not None and ends_at < at:
        raise ValidationFailed("sleep_ends_before_start", field=f"{field}details.sleep.endsAt")


def clean_entry(
    kind: str, details: dict[str, Any], note: str, *, field: str = ""
) -> tuple[dict[str, Any], str]:
    """Details checked per kind (API names in errors) and the note trimmed."""
    try:
        cleaned = kinds.clean_details(kind, details, field="details")
    except ValidationFailed as error:
        if error.field and error.field.startswith("details."):
            key = error.field.removeprefix("details.")
            error.field = f"{field}details.{kind}.{camel(key)}"
        raise
    text = note.strip()
    if len(text) > kinds.MAX_NOTE:
        raise ValidationFailed("too_long", field=f"{field}note", max=kinds.MAX_NOTE)
    if kind == "note" and not cleaned["text"]:
        raise ValidationFailed("required", field=f"{field}details.note.text")
    return cleaned, text


async def resolve_given_by(
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    details: dict[str, Any],
    *,
    field: str = "",
) -> dict[str, Any]:
    """Medication: `given_by` comes in as a staff member's id (or not at all: the author) and
    is stored as that person's user id."""
    staff_id = details.get("given_by")
    if staff_id is None:
        return {**details, "given_by": str(actor.user_id)}
    user_id = await db.scalar(
        select(StaffMembership.user_id).where(
            StaffMembership.id == staff_id,
            StaffMembership.institution_id == institution_id,
            StaffMembership.is_active.is_(True),
        )
    )
    if user_id is None:
        raise NotFound(field=f"{field}details.medication.givenBy")
    return {**details, "given_by": str(user_id)}


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


async def _writable_child(db: AsyncSession, actor: Actor, child_id: uuid.UUID) -> Child:
    child = await db.get(Child, child_id)
    if child is None or not can_write_entries(actor, child.institution_id):
        raise NotFound(field="childId")
    return child


# --- incidents -----------------------------------------------------------------------------


def _getter(entry: DayEntry | dict[str, Any]) -> Callable[[str], Any]:
    if isinstance(entry, dict):
        return entry.__getitem__
    return lambda key: getattr(entry, key)


def entry_link(entry_id: uuid.UUID) -> str:
    """Where the apps open an entry; e-mails put the public URL in front."""
    return f"/daybook/{entry_id}"


async def notify_incident(
    db: AsyncSession, actor: Actor, entry: DayEntry | dict[str, Any]
) -> list[uuid.UUID]:
    """Inside the write transaction: a receipt for each guardian with access to the child
    and their notification in the outbox (a correction marks the receipts notified again
    and notifies anew). Returns whom it told."""
    get = _getter(entry)
    entry_id: uuid.UUID = get("id")
    version: int = get("version")
    users = list(
        (
            await db.scalars(
                select(GuardianLink.user_id).where(
                    GuardianLink.child_id == get("child_id"), GuardianLink.access != "none"
                )
            )
        ).all()
    )
    now = utcnow()
    if version == 1:
        if users:
            await db.execute(
                insert(IncidentReceipt),
                [
                    {
                        "id": new_id(),
                        "institution_id": get("institution_id"),
                        "entry_id": entry_id,
                        "user_id": user_id,
                        "notified_at": now,
                        "confirmed_at": None,
                        "confirmed_version": None,
                    }
                    for user_id in users
                ],
            )
    else:
        await db.execute(
            update(IncidentReceipt)
            .where(IncidentReceipt.entry_id == entry_id)
            .values(notified_at=now)
        )
    await notifications.enqueue(
        db=db,
        institution_id=get("institution_id"),
        recipients=users,
        kind="incident" if version == 1 else "incident_corrected",
        # One notification per version: the outbox is idempotent per (kind, subject, user).
        subject_id=entry_id if version == 1 else uuid.uuid5(entry_id, f"version-{version}"),
        sender_name=actor.name,
        link=entry_link(entry_id),
        preview=get("details")["description"],
        # Health and accidents of a child: no text on lock screens or in e-mails.
        sensitive=True,
        now=now,
    )
    return users


async def confirm_incident(*, db: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> DayEntry:
    """A guardian confirms having read the current version of an incident."""
    async with write_transaction(db):
        entry = await db.scalar(
            select(DayEntry).where(DayEntry.id == entry_id, visible_day_entries(actor))
        )
        if entry is None or entry.kind != "incident" or entry.deleted_at is not None:
            raise NotFound(field="entryId")
        if not is_guardian_of(actor, entry.child_id):
            raise ValidationFailed("only_guardians_confirm", field="entryId")
        receipt = await db.scalar(
            select(IncidentReceipt).where(
                IncidentReceipt.entry_id == entry.id, IncidentReceipt.user_id == actor.user_id
            )
        )
        if receipt is None:  # a guardian linked after the incident was recorded
            receipt = IncidentReceipt(
                institution_id=entry.institution_id, entry_id=entry.id, user_id=actor.user_id
            )
            db.add(receipt)
        receipt.confirmed_at = utcnow()
        receipt.confirmed_version = entry.version
    return entry


# --- single entries -------------------------------------------------------------------------


async def record_entry(
    *,
    db: AsyncSession,
    actor: Actor,
    broker: Broker | None,
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
        if kind == "medication":
            details = await resolve_given_by(db, actor, child.institution_id, details)
        cleaned, text = clean_entry(kind, details, note)
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
    entry = DayEntry(**row)
    await publish(broker, child.id, "entry", [entry.id])
    return entry


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
    broker: Broker | None,
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
        if kind == "medication":
            details = await resolve_given_by(db, actor, entry.institution_id, details)
        cleaned, text = clean_entry(kind, details, note)
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
    await publish(broker, entry.child_id, "entry", [entry.id])
    return entry


def _as_dict(entry: DayEntry) -> dict[str, Any]:
    return {
        key: getattr(entry, key)
        for key in ("id", "institution_id", "version", "kind", "at", "ends_at", "details", "note")
    }


async def delete_entry(
    *, db: AsyncSession, actor: Actor, broker: Broker | None, entry_id: uuid.UUID
) -> DayEntry:
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
    await publish(broker, entry.child_id, "entry", [entry.id])
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
