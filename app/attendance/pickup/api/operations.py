"""GraphQL operations of pickup: pickup persons, their photo and the codeword."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import errors_as_data
from app.api.idempotency import IdempotencyKeyArg, first, idempotent
from app.api.ids import decode
from app.api.permissions import IsAuthenticated
from app.attendance.api.types import AttendanceDone, AttendanceDoneResult
from app.attendance.pickup.api.types import (
    PickupCodeword,
    PickupPersonInput,
    PickupPersonNode,
    PickupPersonResult,
)
from app.attendance.pickup.models import PickupPerson
from app.attendance.pickup.service import persons as pickup
from app.attendance.pickup.service import photos
from app.institutions import loaders as institution_loaders
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access


@strawberry.type
class PickupQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Who may pick the child up: for staff and the child's own guardians.",
    )
    async def pickup_persons(self, info: Info, child_id: strawberry.ID) -> list[PickupPersonNode]:
        actor = await info.context.require_actor()
        rows = await pickup.pickup_persons(
            db=info.context.db, actor=actor, child_id=decode(child_id, "Child", field="childId")
        )
        record_access(
            info.context.db,
            actor,
            child_ids=[row.child_id for row in rows],
            kind=AccessKind.PICKUP,
            operation=operation_name(info),
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
        if word is not None:
            record_access(
                info.context.db,
                actor,
                child_ids=[child.id],
                kind=AccessKind.PICKUP,
                operation=operation_name(info),
            )
        return PickupCodeword(is_set=is_set, codeword=word)


@strawberry.type
class PickupMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    @idempotent(PickupPerson, present=first(PickupPersonNode.of))
    async def add_pickup_person(
        self,
        info: Info,
        child_id: strawberry.ID,
        input: PickupPersonInput,
        idempotency_key: IdempotencyKeyArg = None,
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
        await pickup.remove_pickup_person(
            db=info.context.db,
            actor=await info.context.require_actor(),
            person_id=decode(pickup_person_id, "PickupPerson", field="pickupPersonId"),
        )
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


@strawberry.type
class PickupPhotoMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Set a pickup person's photo from an upload of purpose pickup_photo; "
        "null removes it (custody guardians, staff).",
    )
    @errors_as_data
    async def set_pickup_person_photo(
        self, info: Info, pickup_person_id: strawberry.ID, file_id: strawberry.ID | None
    ) -> PickupPersonResult:
        row = await photos.set_photo(
            db=info.context.db,
            actor=await info.context.require_actor(),
            person_id=decode(pickup_person_id, "PickupPerson", field="pickupPersonId"),
            file_id=decode(file_id, "File", field="fileId") if file_id else None,
        )
        return PickupPersonNode.of(row)
