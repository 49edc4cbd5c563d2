"""GraphQL surface of pickup: pickup persons and the codeword."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from enum import Enum
from typing import Annotated, Union

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from app.api.errors import ConflictError, NotFoundError, ValidationError, errors_as_data
from app.api.ids import decode, plain_uuid
from app.api.permissions import IsAuthenticated
from app.attendance import absences as absence_service
from app.attendance import live, models
from app.attendance import service as pickup
from app.attendance.policies import visible_pickup_persons
from app.files import loaders as file_loaders
from app.files.api.types import File
from app.files.service import uploads as files
from app.institutions import loaders as institution_loaders


@strawberry.type(name="PickupPerson")
class PickupPersonNode(relay.Node):
    id: relay.NodeID[str]
    name: str
    relation: str
    phone: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    photo_file_id: strawberry.Private[uuid.UUID | None] = None

    @classmethod
    def of(cls, row: models.PickupPerson) -> PickupPersonNode:
        return cls(
            id=str(row.id),
            name=row.name,
            relation=row.relation,
            phone=row.phone,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            photo_file_id=row.photo_file_id,
        )

    @strawberry.field(description="Optional photo, for staff at the door and the guardians.")
    async def photo(self, info: Info) -> File | None:
        if self.photo_file_id is None:
            return None
        row = await info.context.loaders.get(file_loaders.file_by_id).load(self.photo_file_id)
        return File.of(row) if row is not None else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PickupPersonNode | None]:
        actor = await info.context.require_actor()
        ids = [uuid.UUID(i) for i in node_ids]
        rows = await info.context.db.scalars(
            select(models.PickupPerson).where(
                models.PickupPerson.id.in_(ids), visible_pickup_persons(actor)
            )
        )
        found = {row.id: row for row in rows.all()}
        return [cls.of(found[i]) if i in found else None for i in ids]


@strawberry.type
class PickupCodeword:
    is_set: bool
    codeword: str | None = strawberry.field(
        description="Only the institution's staff see the word."
    )


@strawberry.input
class PickupPersonInput:
    name: str
    relation: str = ""
    phone: str = ""
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


@strawberry.type
class AttendanceDone:
    ok: bool = True


PickupPersonResult = Annotated[
    Union[PickupPersonNode, ValidationError, NotFoundError], strawberry.union("PickupPersonResult")
]
AttendanceDoneResult = Annotated[
    Union[AttendanceDone, ValidationError, NotFoundError], strawberry.union("AttendanceDoneResult")
]


@strawberry.enum
class AbsenceKind(Enum):
    SICK = "sick"
    VACATION = "vacation"
    OTHER = "other"


@strawberry.type
class Absence:
    id: strawberry.ID
    kind: AbsenceKind
    from_day: dt.date
    until_day: dt.date | None = strawberry.field(description="Null: sick until reported well.")
    note: str

    @classmethod
    def of(cls, row: models.Absence) -> Absence:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=AbsenceKind(row.kind),
            from_day=row.from_day,
            until_day=row.until_day,
            note=row.note,
        )


AbsenceResult = Annotated[
    Union[Absence, ValidationError, NotFoundError, ConflictError], strawberry.union("AbsenceResult")
]


@strawberry.type
class AttendanceQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The child's absences touching the period: for staff and its guardians.",
    )
    async def absences(
        self, info: Info, child_id: strawberry.ID, start: dt.date, end: dt.date
    ) -> list[Absence]:
        rows = await absence_service.absences(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            start=start,
            end=end,
        )
        return [Absence.of(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Who may pick the child up: for staff and the child's own guardians.",
    )
    async def pickup_persons(self, info: Info, child_id: strawberry.ID) -> list[PickupPersonNode]:
        rows = await pickup.pickup_persons(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
        )
        return [PickupPersonNode.of(row) for row in rows]

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def pickup_codeword(self, info: Info, child_id: strawberry.ID) -> PickupCodeword:
        actor = await info.context.require_actor()
        child = await info.context.loaders.get(institution_loaders.child_by_id).load(
            decode(child_id, "Child", field="childId")
        )
        if child is None:
            return PickupCodeword(is_set=False, codeword=None)
        is_set, word = await pickup.codeword(db=info.context.db, actor=actor, child=child)
        return PickupCodeword(is_set=is_set, codeword=word)


@strawberry.type
class AttendanceMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def register_absence(
        self,
        info: Info,
        child_id: strawberry.ID,
        kind: AbsenceKind,
        from_day: dt.date,
        until_day: dt.date | None = None,
        note: str = "",
    ) -> AbsenceResult:
        row, changed = await absence_service.register_absence(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            kind=kind.value,
            from_day=from_day,
            until_day=until_day,
            note=note,
        )
        await live.publish(info.context.runtime.broker, [changed])  # after the commit
        return Absence.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def report_well(
        self, info: Info, absence_id: strawberry.ID, back_on: dt.date
    ) -> AbsenceResult:
        row, changed = await absence_service.report_well(
            db=info.context.db,
            actor=await info.context.require_actor(),
            absence_id=plain_uuid(absence_id, field="absenceId"),
            back_on=back_on,
        )
        await live.publish(info.context.runtime.broker, [changed])  # after the commit
        return Absence.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def cancel_absence(self, info: Info, absence_id: strawberry.ID) -> AttendanceDoneResult:
        changed = await absence_service.cancel_absence(
            db=info.context.db,
            actor=await info.context.require_actor(),
            absence_id=plain_uuid(absence_id, field="absenceId"),
        )
        await live.publish(info.context.runtime.broker, [changed])  # after the commit
        return AttendanceDone()

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def add_pickup_person(
        self, info: Info, child_id: strawberry.ID, input: PickupPersonInput
    ) -> PickupPersonResult:
        row = await pickup.add_pickup_person(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            name=input.name,
            relation=input.relation,
            phone=input.phone,
            valid_from=input.valid_from,
            valid_until=input.valid_until,
        )
        return PickupPersonNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def update_pickup_person(
        self, info: Info, pickup_person_id: strawberry.ID, input: PickupPersonInput
    ) -> PickupPersonResult:
        row = await pickup.update_pickup_person(
            db=info.context.db,
            actor=await info.context.require_actor(),
            person_id=decode(pickup_person_id, "PickupPerson", field="pickupPersonId"),
            name=input.name,
            relation=input.relation,
            phone=input.phone,
            valid_from=input.valid_from,
            valid_until=input.valid_until,
        )
        return PickupPersonNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def remove_pickup_person(
        self, info: Info, pickup_person_id: strawberry.ID
    ) -> AttendanceDoneResult:
        keys = await pickup.remove_pickup_person(
            db=info.context.db,
            actor=await info.context.require_actor(),
            person_id=decode(pickup_person_id, "PickupPerson", field="pickupPersonId"),
        )
        await files.delete_objects(info.context.runtime.storage, keys)  # after the commit
        return AttendanceDone()

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Set the child's pickup codeword; an empty word clears it.",
    )
    @errors_as_data
    async def set_pickup_codeword(
        self, info: Info, child_id: strawberry.ID, codeword: str | None
    ) -> AttendanceDoneResult:
        await pickup.set_codeword(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            codeword=codeword,
        )
        return AttendanceDone()
