"""Queries, mutations and the subscription of the daily log: thin shells over the services."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated, Any, Union

import strawberry
from strawberry.relay import GlobalID
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import (
    IdempotencyKeyReusedError,
    NotFoundError,
    ValidationError,
    errors_as_data,
)
from app.api.idempotency import IdempotencyKeyArg, first, idempotent
from app.api.ids import decode, try_decode
from app.api.node import node_of
from app.api.permissions import IsAuthenticated
from app.core.errors import NotFound
from app.daybook import reads as daybook_reads
from app.daybook.api.types import (
    ChildDay,
    ChildRef,
    DayEntryNode,
    DiaperState,
    Meal,
    MealAmount,
    Mood,
    PhotoRef,
)
from app.daybook.models import DayEntry
from app.daybook.service import bulk, incidents
from app.daybook.service import entries as daybook
from app.daybook.service.live import channel, recheck
from app.db import end_read_transaction
from app.gallery.models import PhotoChild
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access, record_access_through


@strawberry.input
class MealInput:
    meal: Meal
    amount: MealAmount


@strawberry.input
class SleepInput:
    ends_at: dt.datetime | None = strawberry.field(
        default=None, description="Leave out while the child still sleeps; correct it later."
    )


@strawberry.input
class DiaperInput:
    diaper: DiaperState


@strawberry.input
class MedicationInput:
    medicine: str
    dose: str
    given_by: strawberry.ID | None = strawberry.field(
        default=None, description="A StaffMember; by default the one recording."
    )
    consent_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The MedicationConsent of the child's record this follows: the child's "
        "own, in force on the day. Not in a group's bulk entry.",
    )


@strawberry.input
class IncidentInput:
    description: str = strawberry.field(description="What happened.")
    first_aid: str = ""


@strawberry.input
class ActivityInput:
    description: str


@strawberry.input
class MoodInput:
    mood: Mood


@strawberry.input
class NoteInput:
    text: str


@strawberry.input(one_of=True, description="Exactly one: the kind of the entry and its values.")
class DayEntryDetailsInput:
    meal: MealInput | None = strawberry.UNSET
    sleep: SleepInput | None = strawberry.UNSET
    diaper: DiaperInput | None = strawberry.UNSET
    medication: MedicationInput | None = strawberry.UNSET
    incident: IncidentInput | None = strawberry.UNSET
    activity: ActivityInput | None = strawberry.UNSET
    mood: MoodInput | None = strawberry.UNSET
    note: NoteInput | None = strawberry.UNSET


def unpack(
    value: DayEntryDetailsInput, *, field: str = "details"
) -> tuple[str, dict[str, Any], dt.datetime | None]:
    """(kind, details for the service, sleep end)."""
    if value.meal:
        return "meal", {"meal": value.meal.meal.value, "amount": value.meal.amount.value}, None
    if value.sleep:
        return "sleep", {}, value.sleep.ends_at
    if value.diaper:
        return "diaper", {"diaper": value.diaper.diaper.value}, None
    if value.medication:
        details: dict[str, Any] = {
            "medicine": value.medication.medicine,
            "dose": value.medication.dose,
        }
        if value.medication.given_by:
            details["given_by"] = decode(
                value.medication.given_by, "StaffMember", field=f"{field}.medication.givenBy"
            )
        if value.medication.consent_id:
            details["consent_id"] = decode(
                value.medication.consent_id,
                "MedicationConsent",
                field=f"{field}.medication.consentId",
            )
        return "medication", details, None
    if value.incident:
        incident = value.incident
        return (
            "incident",
            {"description": incident.description, "first_aid": incident.first_aid},
            None,
        )
    if value.activity:
        return "activity", {"description": value.activity.description}, None
    if value.mood:
        return "mood", {"mood": value.mood.mood.value}, None
    if value.note:
        return "note", {"text": value.note.text}, None
    raise NotFound("invalid_entry_kind", field=field)


@strawberry.input
class RecordDayEntryInput:
    child_id: strawberry.ID
    day: dt.date = strawberry.field(description="The date in the institution's timezone.")
    at: dt.datetime = strawberry.field(description="When (for sleep: when it began), on `day`.")
    details: DayEntryDetailsInput
    note: str = ""


@strawberry.input
class CorrectDayEntryInput:
    entry_id: strawberry.ID
    at: dt.datetime
    details: DayEntryDetailsInput = strawberry.field(description="Of the entry's own kind.")
    note: str = ""


@strawberry.input
class GroupEntryExceptionInput:
    child_id: strawberry.ID
    details: DayEntryDetailsInput | None = strawberry.field(
        default=None, description="This child's own values (same kind); default: the group's."
    )
    note: str | None = strawberry.field(default=None, description="Default: the group's note.")


@strawberry.input
class GroupEntriesInput:
    group_id: strawberry.ID
    day: dt.date
    at: dt.datetime
    details: DayEntryDetailsInput = strawberry.field(description="The default for every child.")
    note: str = ""
    exceptions: list[GroupEntryExceptionInput] = strawberry.field(default_factory=list)
    excluded: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Children left out (not there, or not taking part)."
    )


@strawberry.type
class GroupEntries:
    entry_rows: strawberry.Private[list[Any]]
    absent_rows: strawberry.Private[list[Any]]
    excluded_rows: strawberry.Private[list[Any]]

    @classmethod
    def replay(cls, rows: list[Any]) -> GroupEntries:
        """A retry's answer: the entries the first attempt wrote (whom it skipped, it did not
        record: absent and excluded are empty)."""
        return cls(entry_rows=rows, absent_rows=[], excluded_rows=[])

    @strawberry.field
    def entries(self) -> list[DayEntryNode]:
        return [DayEntryNode.of(row) for row in self.entry_rows]

    @strawberry.field(description="Skipped: an absence is registered for the day.")
    def absent(self, info: Info) -> list[ChildRef]:
        return [node_of(info, "Child", row) for row in self.absent_rows]

    @strawberry.field
    def excluded(self, info: Info) -> list[ChildRef]:
        return [node_of(info, "Child", row) for row in self.excluded_rows]


DayEntryResult = Annotated[
    Union[DayEntryNode, ValidationError, NotFoundError, IdempotencyKeyReusedError],
    strawberry.union("DayEntryResult"),
]
GroupEntriesResult = Annotated[
    Union[GroupEntries, ValidationError, NotFoundError, IdempotencyKeyReusedError],
    strawberry.union("GroupEntriesResult"),
]


@strawberry.enum
class ChildDayChangeKind(Enum):
    ENTRY = "entry"
    PHOTO = "photo"


@strawberry.type
class ChildDayChange:
    kind: ChildDayChangeKind
    id: strawberry.ID = strawberry.field(description="The entry's (or photo's) global ID.")
    entry: DayEntryNode | None = strawberry.field(
        description="The entry as it is now; null when it was deleted."
    )
    photo: PhotoRef | None = strawberry.field(
        default=None, description="The photo, for kind PHOTO."
    )


_TYPE_OF = {"entry": "DayEntry", "photo": "Photo"}


def _entry_id(value: strawberry.ID) -> uuid.UUID:
    return decode(value, "DayEntry", field="entryId")


@strawberry.type
class DaybookQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="A child's day: staff of the institution and the child's guardians; "
        "null for anyone else. `includeDeleted` (staff) also lists deleted entries.",
    )
    async def child_day(
        self, info: Info, child: strawberry.ID, date: dt.date, include_deleted: bool = False
    ) -> ChildDay | None:
        days = await _days(info, child, date, date, include_deleted)
        return days[0] if days else None

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Every day of [start, end] (at most 31), oldest first.",
    )
    async def child_days(
        self, info: Info, child: strawberry.ID, start: dt.date, end: dt.date
    ) -> list[ChildDay]:
        return await _days(info, child, start, end, False)


async def _days(
    info: Info, child: strawberry.ID, start: dt.date, end: dt.date, include_deleted: bool
) -> list[ChildDay]:
    child_id = try_decode(child)
    if child_id is None or child_id[0] != "Child":
        return []
    actor = await info.context.require_actor()
    days = await daybook_reads.child_days(
        db=info.context.db,
        actor=actor,
        child_id=child_id[1],
        start=start,
        end=end,
        include_deleted=include_deleted,
    )
    if days:
        record_access(
            info.context.db,
            actor,
            child_ids=[child_id[1]],
            kind=AccessKind.DAY_ENTRIES,
            operation=operation_name(info),
        )
        if any(day.photos for day in days):
            record_access(
                info.context.db,
                actor,
                child_ids=[child_id[1]],
                kind=AccessKind.PHOTOS,
                operation=operation_name(info),
            )
    return [ChildDay(date=day.date, row=day) for day in days or []]


@strawberry.type
class DaybookMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    @idempotent(DayEntry, present=first(DayEntryNode.of))
    async def record_day_entry(
        self, info: Info, input: RecordDayEntryInput, idempotency_key: IdempotencyKeyArg = None
    ) -> DayEntryResult:
        kind, details, ends_at = unpack(input.details)
        row = await daybook.record_entry(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(input.child_id, "Child", field="childId"),
            day=input.day,
            at=input.at,
            kind=kind,
            details=details,
            ends_at=ends_at,
            note=input.note,
        )
        return DayEntryNode.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Correct an entry (staff); the earlier versions stay in its history.",
    )
    @errors_as_data
    async def correct_day_entry(self, info: Info, input: CorrectDayEntryInput) -> DayEntryResult:
        kind, details, ends_at = unpack(input.details)
        row = await daybook.correct_entry(
            db=info.context.db,
            actor=await info.context.require_actor(),
            entry_id=_entry_id(input.entry_id),
            at=input.at,
            kind=kind,
            details=details,
            ends_at=ends_at,
            note=input.note,
        )
        return DayEntryNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def delete_day_entry(self, info: Info, entry_id: strawberry.ID) -> DayEntryResult:
        row = await daybook.delete_entry(
            db=info.context.db,
            actor=await info.context.require_actor(),
            entry_id=_entry_id(entry_id),
        )
        return DayEntryNode.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A guardian confirms having read the current version of an incident.",
    )
    @errors_as_data
    async def confirm_incident(self, info: Info, entry_id: strawberry.ID) -> DayEntryResult:
        row = await incidents.confirm_incident(
            db=info.context.db,
            actor=await info.context.require_actor(),
            entry_id=_entry_id(entry_id),
        )
        return DayEntryNode.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="One entry per child of a group: a default, per-child exceptions, exclusions;"
        " children with an absence for the day are skipped.",
    )
    @errors_as_data
    @idempotent(DayEntry, present=GroupEntries.replay)
    async def record_group_entries(
        self, info: Info, input: GroupEntriesInput, idempotency_key: IdempotencyKeyArg = None
    ) -> GroupEntriesResult:
        kind, details, ends_at = unpack(input.details)
        exceptions = []
        for index, exception in enumerate(input.exceptions):
            prefix = f"exceptions.{index}"
            child_id = decode(exception.child_id, "Child", field=f"{prefix}.childId")
            if exception.details is None:
                exceptions.append(bulk.Override(child_id=child_id, note=exception.note))
                continue
            own_kind, own, own_end = unpack(exception.details, field=f"{prefix}.details")
            exceptions.append(
                bulk.Override(
                    child_id=child_id,
                    kind=own_kind,
                    details=own,
                    ends_at=own_end,
                    note=exception.note,
                )
            )
        result = await bulk.record_group_entries(
            db=info.context.db,
            actor=await info.context.require_actor(),
            group_id=decode(input.group_id, "Group", field="groupId"),
            day=input.day,
            at=input.at,
            kind=kind,
            details=details,
            ends_at=ends_at,
            note=input.note,
            exceptions=exceptions,
            excluded=[
                decode(c, "Child", field=f"excluded.{i}") for i, c in enumerate(input.excluded)
            ],
        )
        return GroupEntries(
            entry_rows=result.entries, absent_rows=result.absent, excluded_rows=result.excluded
        )


def _log_change(info: Info, actor: Any, child_id: uuid.UUID, seen: Any) -> None:
    """An event of the child's day is a read of it: the entry (the child's day entries) or the
    photo (every child on it, as `node` of a Photo notes them). Written before the event is
    sent (app.root.access_log.AccessLogPerResult)."""
    operation = operation_name(info)
    if seen.entry is not None:
        record_access(
            info.context.db,
            actor,
            child_ids=[child_id],
            kind=AccessKind.DAY_ENTRIES,
            operation=operation,
        )
    if seen.photo is not None:
        record_access_through(
            info.context.db,
            actor,
            keys=[seen.photo.id],
            child=PhotoChild.child_id,
            key=PhotoChild.photo_id,
            kind=AccessKind.PHOTOS,
            operation=operation,
        )


@strawberry.type
class DaybookSubscriptions:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Tells when the child's day gains or changes an entry or a visible photo.",
    )
    async def child_day_changed(
        self, info: Info, child: strawberry.ID
    ) -> AsyncGenerator[ChildDayChange, None]:
        child_id = decode(child, "Child", field="child")
        actor = await info.context.require_actor()
        db = info.context.db
        if await daybook.readable_child(db, actor, child_id) is None:
            raise NotFound(field="child")
        await end_read_transaction(db)
        async with info.context.runtime.broker.subscribe(channel(child_id)) as events:
            async for event in events:
                await end_read_transaction(db)
                seen = await recheck(
                    sessions=info.context.runtime.sessions,
                    token=info.context.bearer_token(),
                    child_id=child_id,
                    event=event,
                )
                if seen is None:
                    return  # the session ended or the child is no longer theirs
                if not seen.visible:
                    continue
                # Each event is read afresh: nested fields must not answer from the loaders'
                # cache of an earlier event.
                info.context.reset_loaders()
                _log_change(info, actor, child_id, seen)
                yield ChildDayChange(
                    kind=ChildDayChangeKind(seen.kind),
                    id=strawberry.ID(str(GlobalID(_TYPE_OF[seen.kind], str(seen.id)))),
                    entry=DayEntryNode.of(seen.entry) if seen.entry is not None else None,
                    photo=node_of(info, "Photo", seen.photo) if seen.photo is not None else None,
                )
                await end_read_transaction(db)  # resumed once the change was sent
