"""GraphQL surface of the yearly move-up and leaving, for an institution's admins: proposals by a
birth-date cut-off, planning (a move without a group is leaving), the list of plans and undo."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.api.errors import (
    ChildrenRefusedError,
    ConflictError,
    NotFoundError,
    ValidationError,
    errors_as_data,
)
from app.api.ids import decode, decode_each, plain_uuid
from app.api.permissions import IsAuthenticated
from app.institutions import loaders as institution_loaders
from app.institutions.api.types import ChildNode, GroupNode
from app.institutions.service import moves


@strawberry.enum
class GroupMoveState(Enum):
    APPROVED = "approved"
    APPLIED = "applied"
    SKIPPED = "skipped"


async def _group(info: Info, group_id: uuid.UUID | None) -> GroupNode | None:
    if group_id is None:
        return None
    row = await info.context.loaders.get(institution_loaders.group_by_id).load(group_id)
    return GroupNode.of(row) if row else None


@strawberry.type(
    description="A child's move to another group on a date, or (no `toGroup`) its leaving:"
    " approved by an admin and applied by the server on that date."
)
class PlannedGroupMove:
    id: strawberry.ID
    child: ChildNode
    effective_on: dt.date = strawberry.field(
        description="The first day in the new group; for a leaving, the first day after the"
        " last one."
    )
    state: GroupMoveState = strawberry.field(
        description="APPROVED: waits for its day. APPLIED: done. SKIPPED: the child had left"
        " or the group had closed when the day came."
    )
    leaves: bool = strawberry.field(description="The child leaves the institution.")
    planned_by_name: str | None
    applied_at: dt.datetime | None
    from_group_id: strawberry.Private[uuid.UUID | None]
    to_group_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, row: moves.PlannedMove) -> PlannedGroupMove:
        move = row.move
        return cls(
            id=strawberry.ID(str(move.id)),
            child=ChildNode.of(row.child),
            effective_on=move.effective_on,
            state=GroupMoveState(move.state),
            leaves=move.to_group_id is None,
            planned_by_name=row.planned_by_name,
            applied_at=move.applied_at,
            from_group_id=move.from_group_id,
            to_group_id=move.to_group_id,
        )

    @strawberry.field
    async def from_group(self, info: Info) -> GroupNode | None:
        return await _group(info, self.from_group_id)

    @strawberry.field
    async def to_group(self, info: Info) -> GroupNode | None:
        return await _group(info, self.to_group_id)


@strawberry.type(description="A move the cut-off suggests: not saved until planned.")
class GroupMoveProposal:
    child: ChildNode
    effective_on: dt.date
    already_planned: bool = strawberry.field(description="The child has a plan on that day.")
    from_group_id: strawberry.Private[uuid.UUID]
    to_group_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, row: moves.MoveProposal) -> GroupMoveProposal:
        return cls(
            child=ChildNode.of(row.child),
            effective_on=row.effective_on,
            already_planned=row.already_planned,
            from_group_id=row.from_group_id,
            to_group_id=row.to_group_id,
        )

    @strawberry.field
    async def from_group(self, info: Info) -> GroupNode | None:
        return await _group(info, self.from_group_id)

    @strawberry.field
    async def to_group(self, info: Info) -> GroupNode | None:
        return await _group(info, self.to_group_id)


@strawberry.type
class PlannedGroupMoves:
    moves: list[PlannedGroupMove]


@strawberry.type
class GroupMovesCancelled:
    cancelled: int


@strawberry.input
class GroupMoveInput:
    child_id: strawberry.ID
    to_group_id: strawberry.ID | None = strawberry.field(
        default=None, description="None: the child leaves the institution on the date."
    )


PlanGroupMovesResult = Annotated[
    Union[PlannedGroupMoves, ValidationError, NotFoundError, ConflictError, ChildrenRefusedError],
    strawberry.union("PlanGroupMovesResult"),
]
CancelGroupMovesResult = Annotated[
    Union[GroupMovesCancelled, ValidationError, NotFoundError],
    strawberry.union("CancelGroupMovesResult"),
]


@strawberry.type
class GroupMoveQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Moves a birth-date cut-off suggests (e.g. children turning 3 before 1 August"
        " from Bjørnene to Myrerne): `bornBefore`, or `turningAge` and `turningBefore`. Nothing"
        " is saved; plan the ones you keep with planGroupMoves. The institution's admins only.",
    )
    async def propose_group_moves(
        self,
        info: Info,
        from_group_id: strawberry.ID,
        to_group_id: strawberry.ID,
        effective_on: dt.date,
        born_before: dt.date | None = None,
        turning_age: int | None = None,
        turning_before: dt.date | None = None,
    ) -> list[GroupMoveProposal]:
        rows = await moves.propose_group_moves(
            db=info.context.db,
            actor=await info.context.require_actor(),
            from_group_id=decode(from_group_id, "Group", field="fromGroupId"),
            to_group_id=decode(to_group_id, "Group", field="toGroupId"),
            effective_on=effective_on,
            born_before=born_before,
            turning_age=turning_age,
            turning_before=turning_before,
        )
        return [GroupMoveProposal.of(r) for r in rows]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The institution's planned moves and leavings by date, for its admins"
        " (anyone else: none); with `includeDone` the applied and skipped ones too.",
    )
    async def planned_group_moves(
        self, info: Info, institution_id: strawberry.ID, include_done: bool = False
    ) -> list[PlannedGroupMove]:
        rows = await moves.planned_group_moves(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            include_done=include_done,
        )
        return [PlannedGroupMove.of(r) for r in rows]


@strawberry.type
class GroupMoveMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Plan moves (and leavings: no `toGroupId`) for a day after today; the"
        " server applies them on that day. All or nothing; the same plan again changes nothing.",
    )
    @errors_as_data
    async def plan_group_moves(
        self,
        info: Info,
        institution_id: strawberry.ID,
        effective_on: dt.date,
        moves_: Annotated[list[GroupMoveInput], strawberry.argument(name="moves")],
    ) -> PlanGroupMovesResult:
        rows = await moves.plan_group_moves(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            effective_on=effective_on,
            moves=list(
                zip(
                    decode_each([m.child_id for m in moves_], "Child"),
                    [
                        None if m.to_group_id is None else decode_each([m.to_group_id], "Group")[0]
                        for m in moves_
                    ],
                    strict=True,
                )
            ),
        )
        listed = await moves.planned_group_moves(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
        )
        ids = {r.id for r in rows}
        return PlannedGroupMoves(moves=[PlannedGroupMove.of(r) for r in listed if r.move.id in ids])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Undo planned moves before their day.",
    )
    @errors_as_data
    async def cancel_group_moves(
        self, info: Info, institution_id: strawberry.ID, move_ids: list[strawberry.ID]
    ) -> CancelGroupMovesResult:
        count = await moves.cancel_group_moves(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            move_ids=[plain_uuid(m, field="moveIds") for m in move_ids],
        )
        return GroupMovesCancelled(cancelled=count)
