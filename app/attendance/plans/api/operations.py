"""GraphQL operations of the pickup plan: weekly default and date overrides, how the child
leaves, companion answers, the go-home-alone permission, "sent home", and the history. The
types are in types.py; the pickup person's photo is pickup's."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Annotated, Any, Union

import strawberry
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import (
    ChildrenRefusedError,
    ConflictError,
    NotFoundError,
    ValidationError,
    errors_as_data,
)
from app.api.ids import decode, decode_each
from app.api.permissions import IsAuthenticated
from app.attendance.api.types import AttendanceDone, AttendanceDoneResult
from app.attendance.plans.api.types import (
    GoHomeAlonePermission,
    PickupPlanChange,
    PickupPlanEntryNode,
    PickupPlanInput,
    PlannedDay,
    SiblingPickupPlans,
    SiblingPlanInput,
)
from app.attendance.plans.service import entries as plans
from app.attendance.plans.service import leaving as plan_leaving
from app.attendance.plans.service import reads
from app.core.actor import Actor
from app.core.errors import ChildrenRefused, DomainError, ValidationFailed
from app.institutions import loaders as institution_loaders
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access

PickupPlanResult = Annotated[
    Union[
        PickupPlanEntryNode,
        SiblingPickupPlans,
        ValidationError,
        NotFoundError,
        ConflictError,
        ChildrenRefusedError,
    ],
    strawberry.union(
        "PickupPlanResult",
        description="`SiblingPickupPlans` and `ChildrenRefusedError` only answer "
        "`setPickupPlan` called with `children`.",
    ),
]
GoHomeAloneResult = Annotated[
    Union[GoHomeAlonePermission, ValidationError, NotFoundError],
    strawberry.union("GoHomeAloneResult"),
]


def _child(child_id: strawberry.ID) -> uuid.UUID:
    return decode(child_id, "Child", field="childId")


@strawberry.type
class PickupPlanQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The child's plan per open day of the period (at most 62 days), skipping "
        "closed days and absences: for staff and the child's guardians.",
    )
    async def pickup_plan(
        self, info: Info, child_id: strawberry.ID, start: dt.date, end: dt.date
    ) -> list[PlannedDay]:
        actor = await info.context.require_actor()
        days = await reads.effective_plan(
            db=info.context.db, actor=actor, child_id=_child(child_id), start=start, end=end
        )
        _logged(info, actor, days, AccessKind.PICKUP)
        return [PlannedDay.of(day) for day in days]

    @strawberry.field(permission_classes=[IsAuthenticated], description="Monday first.")
    async def pickup_plan_defaults(
        self, info: Info, child_id: strawberry.ID
    ) -> list[PickupPlanEntryNode]:
        actor = await info.context.require_actor()
        rows = await reads.weekly_defaults(
            db=info.context.db, actor=actor, child_id=_child(child_id)
        )
        _logged(info, actor, rows, AccessKind.PICKUP)
        return [PickupPlanEntryNode.of(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Every change to that date's plan (its override and weekday default).",
    )
    async def pickup_plan_history(
        self, info: Info, child_id: strawberry.ID, day: dt.date
    ) -> list[PickupPlanChange]:
        actor = await info.context.require_actor()
        rows = await reads.plan_history(
            db=info.context.db, actor=actor, child_id=_child(child_id), day=day
        )
        _logged(info, actor, rows, AccessKind.PICKUP)
        return [PickupPlanChange.of(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Plans asking your child along home, waiting for your answer.",
    )
    async def pickup_companion_requests(self, info: Info) -> list[PickupPlanEntryNode]:
        actor = await info.context.require_actor()
        rows = await reads.companion_requests(db=info.context.db, actor=actor)
        # Another family's plan for their child (yours is asked along): logged for them.
        _logged(info, actor, rows, AccessKind.PICKUP)
        return [PickupPlanEntryNode.of(row) for row in rows]

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def go_home_alone(
        self, info: Info, child_id: strawberry.ID
    ) -> GoHomeAlonePermission | None:
        actor = await info.context.require_actor()
        child = await info.context.loaders.get(institution_loaders.child_by_id).load(
            _child(child_id)
        )
        if child is None:
            return None
        row = await reads.go_home_alone_permission(db=info.context.db, actor=actor, child=child)
        _logged(info, actor, [row] if row is not None else [], AccessKind.PICKUP)
        return GoHomeAlonePermission.of(row)


@strawberry.type
class PlanMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Set a date's plan or a weekday's default (custody guardians, staff): for "
        "one child (`childId`: answers `PickupPlanEntry`) or the same plan for several "
        "children at once (`children`, siblings, each naming its own pickup person or "
        "guardian: answers `SiblingPickupPlans`). The list form is one transaction and "
        "atomic: if any child is refused, no plan is set and `ChildrenRefusedError` lists each "
        "refused child (its position in `children`) with its own error; resend without it.",
    )
    @errors_as_data
    async def set_pickup_plan(
        self,
        info: Info,
        input: PickupPlanInput,
        child_id: strawberry.ID | None = None,
        children: Annotated[
            list[SiblingPlanInput] | None,
            strawberry.argument(description="Several children (at most 10) instead of `childId`."),
        ] = None,
    ) -> PickupPlanResult:
        actor = await info.context.require_actor()
        if (child_id is None) == (children is None):
            raise ValidationFailed("one_child_or_siblings", field="children")
        if children is None:
            assert child_id is not None
            row = await plans.set_plan(
                db=info.context.db, actor=actor, child_id=_child(child_id), plan=input.to_domain()
            )
            return PickupPlanEntryNode.of(row)
        rows = await plans.set_plans(
            db=info.context.db, actor=actor, plans=_sibling_plans(input, children)
        )
        return SiblingPickupPlans(entries=[PickupPlanEntryNode.of(row) for row in rows])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Remove a date's override (the default applies again) or a default.",
    )
    @errors_as_data
    async def clear_pickup_plan(self, info: Info, entry_id: strawberry.ID) -> AttendanceDoneResult:
        await plans.clear_plan(
            db=info.context.db,
            actor=await info.context.require_actor(),
            entry_id=decode(entry_id, "PickupPlanEntry", field="entryId"),
        )
        return AttendanceDone()

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="The companion child's custody guardian accepts or declines.",
    )
    @errors_as_data
    async def answer_pickup_companion(
        self, info: Info, entry_id: strawberry.ID, accept: bool
    ) -> PickupPlanResult:
        row = await plan_leaving.answer_companion(
            db=info.context.db,
            actor=await info.context.require_actor(),
            entry_id=decode(entry_id, "PickupPlanEntry", field="entryId"),
            accept=accept,
        )
        return PickupPlanEntryNode.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A custody guardian allows the child to go home alone, or withdraws it.",
    )
    @errors_as_data
    async def set_go_home_alone(
        self, info: Info, child_id: strawberry.ID, allowed: bool, note: str = ""
    ) -> GoHomeAloneResult:
        row = await plan_leaving.set_go_home_alone(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=_child(child_id),
            allowed=allowed,
            note=note,
        )
        return GoHomeAlonePermission.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Staff send a child home today; its guardians are told at once.",
    )
    @errors_as_data
    async def send_child_home(
        self, info: Info, child_id: strawberry.ID, reason: str
    ) -> PickupPlanResult:
        row = await plan_leaving.send_child_home(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=_child(child_id),
            reason=reason,
        )
        return PickupPlanEntryNode.of(row)


def _sibling_plans(
    shared: PickupPlanInput, children: list[SiblingPlanInput]
) -> list[tuple[uuid.UUID, plans.PlanInput]]:
    """Each child's plan; an unreadable id of one child is that child's refusal (the others
    are still checked by the service, which then refuses the call)."""
    child_ids = decode_each([c.child_id for c in children], "Child")
    found: list[tuple[uuid.UUID, plans.PlanInput]] = []
    refusals: list[tuple[int, DomainError]] = []
    for index, (child_id, child) in enumerate(zip(child_ids, children, strict=True)):
        try:
            found.append((child_id, child.plan(shared)))
        except DomainError as refused:
            refusals.append((index, refused))
    if refusals:
        raise ChildrenRefused(refusals, field="children")
    return found


def _logged(info: Info, actor: Actor, rows: Iterable[Any], kind: AccessKind) -> None:
    """Note the children whose data these rows are (app/privacy/accesslog)."""
    record_access(
        info.context.db,
        actor,
        child_ids=[row.child_id for row in rows],
        kind=kind,
        operation=operation_name(info),
    )
