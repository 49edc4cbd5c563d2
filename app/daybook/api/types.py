"""GraphQL types of the daily log: one DayEntry type with a kind and typed details per kind
(a union), so apps switch on `details.__typename` and every value is an enum or text."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Union

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.api.access import operation_name
from app.api.ids import encode
from app.api.loaders import later
from app.api.node import load_nodes, node_of
from app.daybook import loaders as daybook_loaders
from app.daybook import models
from app.daybook.policies import can_see_history
from app.daybook.reads import ChildDayRow, DayEntryRow, ReceiptRow
from app.institutions import loaders as institution_loaders
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access

if TYPE_CHECKING:
    from app.gallery.api.photos import PhotoNode
    from app.institutions.api.types import ChildNode

ChildRef = Annotated["ChildNode", strawberry.lazy("app.institutions.api.types")]
PhotoRef = Annotated["PhotoNode", strawberry.lazy("app.gallery.api.photos")]


@strawberry.enum
class DayEntryKind(Enum):
    MEAL = "meal"
    SLEEP = "sleep"
    DIAPER = "diaper"
    MEDICATION = "medication"
    INCIDENT = "incident"
    ACTIVITY = "activity"
    MOOD = "mood"
    NOTE = "note"


@strawberry.enum
class Meal(Enum):
    BREAKFAST = "breakfast"
    MORNING_SNACK = "morning_snack"
    LUNCH = "lunch"
    AFTERNOON_SNACK = "afternoon_snack"
    OTHER = "other"


@strawberry.enum(description="How much the child ate.")
class MealAmount(Enum):
    WELL = "well"
    SOME = "some"
    LITTLE = "little"
    NOTHING = "nothing"


@strawberry.enum(description="Wet, bowel movement (BM) or dry.")
class DiaperState(Enum):
    WET = "wet"
    BM = "bm"
    DRY = "dry"


@strawberry.enum
class Mood(Enum):
    HAPPY = "happy"
    CONTENT = "content"
    TIRED = "tired"
    SAD = "sad"
    UPSET = "upset"


@strawberry.enum
class DayEntryChange(Enum):
    CREATED = "created"
    CORRECTED = "corrected"
    DELETED = "deleted"


async def _user_name(info: Info, user_id: uuid.UUID | str | None) -> str | None:
    if user_id is None:
        return None
    user = await info.context.loaders.get(institution_loaders.user_by_id).load(
        uuid.UUID(str(user_id))
    )
    return user.name if user else None


@strawberry.type
class MealDetails:
    meal: Meal
    amount: MealAmount


@strawberry.type
class SleepDetails:
    starts_at: dt.datetime
    ends_at: dt.datetime | None = strawberry.field(description="Null while the child sleeps.")

    @strawberry.field
    def minutes(self) -> int | None:
        if self.ends_at is None:
            return None
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@strawberry.type
class DiaperDetails:
    diaper: DiaperState


@strawberry.type
class MedicationDetails:
    medicine: str
    dose: str
    given_by_id: strawberry.Private[str]
    consent_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The MedicationConsent of the child's record it follows (read it in "
        "`childRecord`), if the entry names one.",
    )
    entry: strawberry.Private[models.DayEntry | DayEntryRow | None] = None

    @strawberry.field(description="Who gave it (the time is the entry's `at`).")
    def given_by(self, info: Info) -> str | None:
        if isinstance(self.entry, DayEntryRow):
            return self.entry.given_by_name  # the read model holds it
        return later(_user_name(info, self.given_by_id))


@strawberry.type
class IncidentConfirmation:
    guardian_id: strawberry.Private[uuid.UUID]
    notified_at: dt.datetime
    confirmed_at: dt.datetime | None
    confirmed_version: int | None
    is_current: bool = strawberry.field(description="The guardian confirmed the current version.")
    receipt: strawberry.Private[ReceiptRow | None] = None

    @strawberry.field
    def guardian(self, info: Info) -> str | None:
        if self.receipt is not None:
            return self.receipt.guardian_name  # the read model holds it
        return later(_user_name(info, self.guardian_id))


@strawberry.type
class IncidentDetails:
    description: str
    first_aid: str
    entry: strawberry.Private[models.DayEntry | DayEntryRow | None]

    async def _receipts(self, info: Info) -> list[models.IncidentReceipt]:
        if self.entry is None:
            return []
        rows: list[models.IncidentReceipt] = await info.context.loaders.get(
            daybook_loaders.receipts_by_entry
        ).load(self.entry.id)
        return rows

    @strawberry.field(
        description="Staff: every guardian told and whether they confirmed; a guardian: their own."
    )
    def confirmations(self, info: Info) -> list[IncidentConfirmation]:
        if isinstance(self.entry, DayEntryRow):  # the read model holds them
            version = self.entry.version
            return [
                IncidentConfirmation(
                    guardian_id=r.user_id,
                    notified_at=r.notified_at,
                    confirmed_at=r.confirmed_at,
                    confirmed_version=r.confirmed_version,
                    is_current=r.confirmed_version == version,
                    receipt=r,
                )
                for r in self.entry.receipts
            ]
        return later(self._confirmations(info))

    async def _confirmations(self, info: Info) -> list[IncidentConfirmation]:
        version = self.entry.version if self.entry else 0
        return [
            IncidentConfirmation(
                guardian_id=r.user_id,
                notified_at=r.notified_at,
                confirmed_at=r.confirmed_at,
                confirmed_version=r.confirmed_version,
                is_current=r.confirmed_version == version,
            )
            for r in await self._receipts(info)
        ]

    @strawberry.field(
        description="For a guardian: the current version still waits for your confirmation."
    )
    def needs_my_confirmation(self, info: Info) -> bool:
        if isinstance(self.entry, DayEntryRow):
            return self.entry.needs_my_confirmation  # the read model decided it
        return later(self._needs_my_confirmation(info))

    async def _needs_my_confirmation(self, info: Info) -> bool:
        actor = await info.context.require_actor()
        if self.entry is None or self.entry.child_id not in actor.children:
            return False
        if self.entry.deleted_at is not None:
            return False
        mine = [r for r in await self._receipts(info) if r.user_id == actor.user_id]
        return not mine or mine[0].confirmed_version != self.entry.version


@strawberry.type
class ActivityDetails:
    description: str


@strawberry.type
class MoodDetails:
    mood: Mood


@strawberry.type
class NoteDetails:
    text: str


DayEntryDetails = Annotated[
    Union[
        MealDetails,
        SleepDetails,
        DiaperDetails,
        MedicationDetails,
        IncidentDetails,
        ActivityDetails,
        MoodDetails,
        NoteDetails,
    ],
    strawberry.union("DayEntryDetails"),
]


def details_of(
    kind: str,
    details: dict[str, Any],
    at: dt.datetime,
    ends_at: dt.datetime | None,
    entry: models.DayEntry | DayEntryRow | None = None,
) -> Any:
    if kind == "meal":
        return MealDetails(meal=Meal(details["meal"]), amount=MealAmount(details["amount"]))
    if kind == "sleep":
        return SleepDetails(starts_at=at, ends_at=ends_at)
    if kind == "diaper":
        return DiaperDetails(diaper=DiaperState(details["diaper"]))
    if kind == "medication":
        return MedicationDetails(
            medicine=details["medicine"],
            dose=details["dose"],
            given_by_id=details["given_by"],
            consent_id=(
                strawberry.ID(encode("MedicationConsent", uuid.UUID(details["consent_id"])))
                if details.get("consent_id")
                else None
            ),
            entry=entry,
        )
    if kind == "incident":
        return IncidentDetails(
            description=details["description"], first_aid=details["first_aid"], entry=entry
        )
    if kind == "activity":
        return ActivityDetails(description=details["description"])
    if kind == "mood":
        return MoodDetails(mood=Mood(details["mood"]))
    return NoteDetails(text=details["text"])


@strawberry.type
class DayEntryVersion:
    version: int
    change: DayEntryChange
    changed_fields: list[str] = strawberry.field(
        description="What differs from the version before (at, ends_at, note, details.<key>)."
    )
    changed_at: dt.datetime
    at: dt.datetime
    note: str
    row: strawberry.Private[models.DayEntryVersion]

    @classmethod
    def of(cls, row: models.DayEntryVersion) -> DayEntryVersion:
        return cls(
            version=row.version,
            change=DayEntryChange(row.change),
            changed_fields=list(row.changed_fields),
            changed_at=row.changed_at,
            at=row.at,
            note=row.note,
            row=row,
        )

    @strawberry.field
    async def changed_by(self, info: Info) -> str | None:
        return await _user_name(info, self.row.changed_by)

    @strawberry.field
    def details(self) -> DayEntryDetails:
        return details_of(self.row.kind, self.row.details, self.row.at, self.row.ends_at)


@strawberry.type(name="DayEntry")
class DayEntryNode(relay.Node):
    id: relay.NodeID[str]
    kind: DayEntryKind
    day: dt.date = strawberry.field(description="The date in the institution's timezone.")
    at: dt.datetime
    note: str
    version: int
    recorded_at: dt.datetime
    deleted_at: dt.datetime | None = strawberry.field(description="Staff only see deleted ones.")
    row: strawberry.Private[models.DayEntry | DayEntryRow]

    @classmethod
    def of(cls, row: models.DayEntry | DayEntryRow) -> DayEntryNode:
        return cls(
            id=str(row.id),
            kind=DayEntryKind(row.kind),
            day=row.day,
            at=row.at,
            note=row.note,
            version=row.version,
            recorded_at=row.created_at,
            deleted_at=row.deleted_at,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[DayEntryNode | None]:
        nodes = await load_nodes(info, daybook_loaders.day_entry_by_id, node_ids, cls.of)
        record_access(
            info.context.db,
            await info.context.require_actor(),
            child_ids=[n.row.child_id for n in nodes if n is not None],
            kind=AccessKind.DAY_ENTRIES,
            operation=operation_name(info),
        )
        return nodes

    @strawberry.field(description="The entry was corrected after it was first recorded.")
    def corrected(self) -> bool:
        return self.version > 1 and self.row.deleted_at is None

    @strawberry.field
    def corrected_at(self) -> dt.datetime | None:
        return self.row.updated_at if self.version > 1 else None

    @strawberry.field
    def details(self) -> DayEntryDetails:
        return details_of(self.row.kind, self.row.details, self.row.at, self.row.ends_at, self.row)

    @strawberry.field
    def recorded_by(self, info: Info) -> str | None:
        if isinstance(self.row, DayEntryRow):
            return self.row.recorded_by_name  # the read model holds it
        return later(_user_name(info, self.row.recorded_by))

    @strawberry.field
    async def child(self, info: Info) -> ChildRef | None:
        row = await info.context.loaders.get(institution_loaders.child_by_id).load(
            self.row.child_id
        )
        return node_of(info, "Child", row) if row else None

    @strawberry.field(description="Every version, oldest first: for the institution's staff.")
    async def history(self, info: Info) -> list[DayEntryVersion]:
        actor = await info.context.require_actor()
        if not can_see_history(actor, self.row.institution_id):
            return []
        rows = await info.context.loaders.get(daybook_loaders.versions_by_entry).load(self.row.id)
        return [DayEntryVersion.of(row) for row in rows]


@strawberry.type(
    name="ChildDayTimeline", description="A child's day: its entries and photos in time order."
)
class ChildDay:
    date: dt.date
    row: strawberry.Private[ChildDayRow]

    @strawberry.field
    def child(self, info: Info) -> ChildRef:
        return node_of(info, "Child", self.row.child)

    @strawberry.field(description="The day's entries in time order.")
    def entries(self) -> list[DayEntryNode]:
        return [DayEntryNode.of(row) for row in self.row.entries]

    @strawberry.field(
        description="The day's photos of the child, in the order taken, as far as you may see "
        "them (each photo's consent rules apply)."
    )
    def photos(self, info: Info) -> list[PhotoRef]:
        return [node_of(info, "Photo", row) for row in self.row.photos]
