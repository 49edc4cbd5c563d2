"""Entries for a whole group at once: "Bjørnene had lunch: all ate well, Oscar little"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.absences.models import Absence
from app.core import events
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.daybook.events import DayEntryChanged
from app.daybook.models import DayEntry
from app.daybook.policies import can_write_entries
from app.daybook.service import kinds
from app.daybook.service.entry_checks import check_times, clean_entry, place_of, resolve_given_by
from app.daybook.service.entry_rows import entry_row, insert_entries
from app.db import utcnow, write_transaction
from app.institutions.models import Child, Group

MAX_EXCEPTIONS = 100


@dataclass(frozen=True)
class Override:
    """One child's own value (and note) instead of the group's default."""

    child_id: uuid.UUID
    kind: str | None = None
    details: dict[str, Any] | None = None
    ends_at: datetime | None = None
    note: str | None = None


@dataclass
class GroupEntries:
    entries: list[DayEntry] = field(default_factory=list)
    absent: list[Child] = field(default_factory=list)
    excluded: list[Child] = field(default_factory=list)


async def record_group_entries(
    *,
    db: AsyncSession,
    actor: Actor,
    group_id: uuid.UUID,
    day: date,
    at: datetime,
    kind: str,
    details: dict[str, Any],
    ends_at: datetime | None = None,
    note: str = "",
    exceptions: list[Override] | None = None,
    excluded: list[uuid.UUID] | None = None,
) -> GroupEntries:
    """One entry per child of the group, the default value unless an exception names the
    child; children with an absence registered for the day are skipped (unless an exception
    names them: staff saw the child), so are the excluded. One transaction, a fixed number of
    statements however large the group."""
    exceptions = exceptions or []
    excluded_ids = set(excluded or [])
    if kind not in kinds.BULK_KINDS:
        raise ValidationFailed("bulk_kind_not_allowed", field="details")
    if len(exceptions) > MAX_EXCEPTIONS:
        raise ValidationFailed("too_many", field="exceptions", max=MAX_EXCEPTIONS)
    seen: set[uuid.UUID] = set()
    for index, exception in enumerate(exceptions):
        if exception.child_id in seen or exception.child_id in excluded_ids:
            raise ValidationFailed("child_named_twice", field=f"exceptions.{index}.childId")
        seen.add(exception.child_id)
    async with write_transaction(db):
        group = await db.get(Group, group_id)
        if (
            group is None
            or not group.is_active
            or not can_write_entries(actor, group.institution_id)
        ):
            raise NotFound(field="groupId")
        place = await place_of(db, group.institution_id)
        check_times(place, day=day, at=at, ends_at=ends_at, kind=kind)
        if kind == "medication":
            details = await resolve_given_by(db, actor, group.institution_id, details)
        default, default_note = clean_entry(kind, details, note)
        own: dict[uuid.UUID, tuple[dict[str, Any], str, datetime | None]] = {}
        for index, exception in enumerate(exceptions):
            prefix = f"exceptions.{index}."
            values, own_end = dict(details), ends_at
            if exception.details is not None:
                if exception.kind != kind:
                    raise ValidationFailed("exception_kind_differs", field=f"{prefix}details")
                values, own_end = dict(exception.details), exception.ends_at
            check_times(place, day=day, at=at, ends_at=own_end, kind=kind, field=prefix)
            if kind == "medication" and exception.details is not None:
                values = await resolve_given_by(
                    db, actor, group.institution_id, values, field=prefix
                )
            cleaned, text = clean_entry(
                kind, values, note if exception.note is None else exception.note, field=prefix
            )
            own[exception.child_id] = (cleaned, text, own_end)
        rows = (
            await db.execute(
                select(Child, _absent(day).label("absent"))
                .where(
                    Child.group_id == group.id,
                    Child.institution_id == group.institution_id,
                    Child.active_from <= day,
                    or_(Child.active_until.is_(None), Child.active_until >= day),
                )
                .order_by(Child.first_name, Child.last_name, Child.id)
            )
        ).all()
        in_group = {child.id for child, _ in rows}
        for index, exception in enumerate(exceptions):
            if exception.child_id not in in_group:
                raise ValidationFailed("child_not_in_group", field=f"exceptions.{index}.childId")
        for index, child_id in enumerate(excluded or []):
            if child_id not in in_group:
                raise ValidationFailed("child_not_in_group", field=f"excluded.{index}")
        result = GroupEntries()
        new_rows = []
        now = utcnow()
        for child, absent in rows:
            if child.id in excluded_ids:
                result.excluded.append(child)
                continue
            if absent and child.id not in own:
                result.absent.append(child)
                continue
            values, text, end = own.get(child.id, (default, default_note, ends_at))
            new_rows.append(
                entry_row(
                    actor=actor,
                    child=child,
                    day=day,
                    at=at,
                    ends_at=end,
                    kind=kind,
                    details=values,
                    note=text,
                    now=now,
                )
            )
        await insert_entries(db, new_rows, actor.user_id)
        for row in new_rows:
            await events.record(
                db,
                DayEntryChanged(
                    institution_id=row["institution_id"],
                    child_id=row["child_id"],
                    entry_id=row["id"],
                ),
            )
    result.entries = [DayEntry(**row) for row in new_rows]
    return result


def _absent(day: date) -> Any:
    return exists().where(
        and_(
            Absence.child_id == Child.id,
            Absence.from_day <= day,
            or_(Absence.until_day.is_(None), Absence.until_day >= day),
        )
    )
