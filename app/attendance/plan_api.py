"""GraphQL surface of the pickup plan: weekly default and date overrides, how the child
leaves, companion answers, the go-home-alone permission, "sent home", and the history."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from enum import Enum
from typing import Annotated, Any, Union

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.api.errors import ConflictError, NotFoundError, ValidationError, errors_as_data
from app.api.ids import decode
from app.api.permissions import IsAuthenticated
from app.attendance import live, models, pickup_photos, plan_leaving, plans
from app.attendance import plan_reads as reads
from app.attendance.api import (
    AttendanceDone,
    AttendanceDoneResult,
    PickupPersonNode,
    PickupPersonResult,
)
from app.files import service as files
from app.institutions.api.types import ChildNode


@strawberry.enum(description="How the child leaves the institution.")
class LeaveMode(Enum):
    GUARDIAN = "guardian"
    PICKUP_PERSON = "pickup_person"
    ALONE = "alone"
    WITH_CHILD = "with_child"
    SENT_HOME = "sent_home"


@strawberry.enum
class Weekday(Enum):
    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6


@strawberry.enum(description="The companion child's guardian's answer.")
class CompanionStatus(Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


@strawberry.enum(description="Where a day's plan comes from.")
class PlanSource(Enum):
    OVERRIDE = "override"
    SURVEY = "survey"
    WEEKLY = "weekly"
    NONE = "none"


async def _user_name(info: Info, user_id: uuid.UUID | None) -> str | None:
    if user_id is None:
        return None
    user = await info.context.loaders.user_by_id.load(user_id)
    return user.name if user else None


@strawberry.type(name="PickupPlanEntry")
class PickupPlanEntryNode(relay.Node):
    """A date's plan (`day`) or a weekly default (`weekday`)."""

    id: relay.NodeID[str]
    day: dt.date | None
    weekday: Weekday | None
    arrival: dt.time | None
    pickup: dt.time | None = strawberry.field(
        description="Expected pickup; for ALONE the earliest time to leave."
    )
    alone_until: dt.time | None = strawberry.field(description="ALONE: the latest time to leave.")
    leave_mode: LeaveMode
    companion_status: CompanionStatus | None
    updated_at: dt.datetime
    row: strawberry.Private[models.PickupPlan]

    @classmethod
    def of(cls, row: models.PickupPlan) -> PickupPlanEntryNode:
        return cls(
            id=str(row.id),
            day=row.day,
            weekday=Weekday(row.weekday) if row.weekday is not None else None,
            arrival=row.arrival,
            pickup=row.pickup,
            alone_until=row.alone_until,
            leave_mode=LeaveMode(row.leave_mode),
            companion_status=CompanionStatus(row.companion_status)
            if row.companion_status
            else None,
            updated_at=row.updated_at,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PickupPlanEntryNode | None]:
        await info.context.actor()
        rows = await info.context.loaders.pickup_plan_by_id.load_many(
            [uuid.UUID(i) for i in node_ids]
        )
        return [cls.of(row) if row is not None else None for row in rows]

    async def _own(self, info: Info) -> bool:
        """Staff and the child's guardians see everything; a companion's guardian the gist."""
        actor = await info.context.require_actor()
        return actor.works_in(self.row.institution_id) or self.row.child_id in actor.children

    @strawberry.field(description="Null for a companion child's guardian.")
    async def note(self, info: Info) -> str | None:
        return self.row.note if await self._own(info) else None

    @strawberry.field(description="The child, for staff and its guardians.")
    async def child(self, info: Info) -> ChildNode | None:
        row = await info.context.loaders.child_by_id.load(self.row.child_id)
        return ChildNode.of(row) if row else None

    @strawberry.field(description="The child's name; other families see the first name only.")
    async def child_name(self, info: Info) -> str | None:
        name: str | None = await info.context.loaders.child_name_by_id.load(self.row.child_id)
        return name

    @strawberry.field
    async def pickup_person(self, info: Info) -> PickupPersonNode | None:
        if self.row.pickup_person_id is None:
            return None
        row = await info.context.loaders.pickup_person_by_id.load(self.row.pickup_person_id)
        return PickupPersonNode.of(row) if row else None

    @strawberry.field(description="GUARDIAN: which guardian, when one was named.")
    async def guardian_name(self, info: Info) -> str | None:
        if not await self._own(info):
            return None
        return await _user_name(info, self.row.guardian_user_id)

    @strawberry.field(description="WITH_CHILD: the other child's name.")
    async def companion_name(self, info: Info) -> str | None:
        if self.row.companion_child_id is None:
            return None
        name: str | None = await info.context.loaders.child_name_by_id.load(
            self.row.companion_child_id
        )
        return name

    @strawberry.field
    async def updated_by_name(self, info: Info) -> str | None:
        return await _user_name(info, self.row.updated_by) if await self._own(info) else None


@strawberry.type
class PlannedDay:
    day: dt.date
    source: PlanSource
    coming: bool = strawberry.field(description="False: vacation from a survey answer.")
    arrival: dt.time | None
    pickup: dt.time | None
    entry: PickupPlanEntryNode | None = strawberry.field(
        description="The entry that says how the child leaves."
    )

    @classmethod
    def of(cls, plan: reads.DayPlan) -> PlannedDay:
        return cls(
            day=plan.day,
            source=PlanSource(plan.source),
            coming=plan.coming,
            arrival=plan.arrival,
            pickup=plan.pickup,
            entry=PickupPlanEntryNode.of(plan.entry) if plan.entry else None,
        )


@strawberry.type
class PickupPlanChange:
    id: strawberry.ID
    at: dt.datetime
    day: dt.date | None
    weekday: Weekday | None
    action: str = strawberry.field(
        description="set, cleared, sent_home, companion_accepted or companion_declined"
    )
    after_cutoff: bool = strawberry.field(description="Staff changed it after the cut-off.")
    leave_mode: LeaveMode | None
    arrival: str | None
    pickup: str | None
    alone_until: str | None
    pickup_person: str | None
    guardian: str | None
    companion: str | None
    note: str | None
    reason: str | None
    row: strawberry.Private[models.PickupPlanChange]

    @classmethod
    def of(cls, row: models.PickupPlanChange) -> PickupPlanChange:
        details: dict[str, Any] = row.details or {}
        mode = details.get("leaveMode")
        return cls(
            id=strawberry.ID(str(row.id)),
            at=row.created_at,
            day=row.day,
            weekday=Weekday(row.weekday) if row.weekday is not None else None,
            action=row.action,
            after_cutoff=row.after_cutoff,
            leave_mode=LeaveMode(mode) if mode else None,
            arrival=details.get("arrival"),
            pickup=details.get("pickup"),
            alone_until=details.get("aloneUntil"),
            pickup_person=details.get("pickupPerson"),
            guardian=details.get("guardian"),
            companion=details.get("companion"),
            note=details.get("note"),
            reason=details.get("reason"),
            row=row,
        )

    @strawberry.field(description="Who made the change.")
    async def changed_by(self, info: Info) -> str | None:
        return await _user_name(info, self.row.changed_by)


@strawberry.type
class GoHomeAlonePermission:
    allowed: bool
    note: str
    granted_at: dt.datetime | None
    row: strawberry.Private[models.GoHomeAlonePermission | None]

    @classmethod
    def of(cls, row: models.GoHomeAlonePermission | None) -> GoHomeAlonePermission:
        return cls(
            allowed=row is not None,
            note=row.note if row else "",
            granted_at=row.updated_at if row else None,
            row=row,
        )

    @strawberry.field
    async def granted_by(self, info: Info) -> str | None:
        return await _user_name(info, self.row.granted_by) if self.row else None


@strawberry.input
class PickupPlanInput:
    leave_mode: LeaveMode
    day: dt.date | None = strawberry.field(default=None, description="A date's plan, or…")
    weekday: Weekday | None = strawberry.field(default=None, description="…a weekly default.")
    arrival: dt.time | None = None
    pickup: dt.time | None = None
    alone_until: dt.time | None = None
    pickup_person_id: strawberry.ID | None = None
    guardian_link_id: strawberry.ID | None = None
    companion_child_id: strawberry.ID | None = None
    note: str = ""

    def to_domain(self) -> plans.PlanInput:
        return plans.PlanInput(
            leave_mode=self.leave_mode.value,
            day=self.day,
            weekday=self.weekday.value if self.weekday is not None else None,
            arrival=self.arrival,
            pickup=self.pickup,
            alone_until=self.alone_until,
            pickup_person_id=decode(self.pickup_person_id, "PickupPerson", field="pickupPersonId")
            if self.pickup_person_id
            else None,
            guardian_link_id=decode(self.guardian_link_id, "GuardianLink", field="guardianLinkId")
            if self.guardian_link_id
            else None,
            companion_child_id=decode(self.companion_child_id, "Child", field="companionChildId")
            if self.companion_child_id
            else None,
            note=self.note,
        )


PickupPlanResult = Annotated[
    Union[PickupPlanEntryNode, ValidationError, NotFoundError, ConflictError],
    strawberry.union("PickupPlanResult"),
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
        days = await reads.effective_plan(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=_child(child_id),
            start=start,
            end=end,
        )
        return [PlannedDay.of(day) for day in days]

    @strawberry.field(permission_classes=[IsAuthenticated], description="Monday first.")
    async def pickup_plan_defaults(
        self, info: Info, child_id: strawberry.ID
    ) -> list[PickupPlanEntryNode]:
        rows = await reads.weekly_defaults(
            db=info.context.db, actor=await info.context.require_actor(), child_id=_child(child_id)
        )
        return [PickupPlanEntryNode.of(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Every change to that date's plan (its override and weekday default).",
    )
    async def pickup_plan_history(
        self, info: Info, child_id: strawberry.ID, day: dt.date
    ) -> list[PickupPlanChange]:
        rows = await reads.plan_history(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=_child(child_id),
            day=day,
        )
        return [PickupPlanChange.of(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Plans asking your child along home, waiting for your answer.",
    )
    async def pickup_companion_requests(self, info: Info) -> list[PickupPlanEntryNode]:
        rows = await reads.companion_requests(
            db=info.context.db, actor=await info.context.require_actor()
        )
        return [PickupPlanEntryNode.of(row) for row in rows]

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def go_home_alone(
        self, info: Info, child_id: strawberry.ID
    ) -> GoHomeAlonePermission | None:
        actor = await info.context.require_actor()
        child = await info.context.loaders.child_by_id.load(_child(child_id))
        if child is None:
            return None
        row = await reads.go_home_alone_permission(db=info.context.db, actor=actor, child=child)
        return GoHomeAlonePermission.of(row)


@strawberry.type
class PickupPlanMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Set a date's plan or a weekday's default (custody guardians, staff).",
    )
    @errors_as_data
    async def set_pickup_plan(
        self, info: Info, child_id: strawberry.ID, input: PickupPlanInput
    ) -> PickupPlanResult:
        row, changed = await plans.set_plan(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=_child(child_id),
            plan=input.to_domain(),
        )
        await live.publish(info.context.runtime.broker, [changed])  # after the commit
        return PickupPlanEntryNode.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Remove a date's override (the default applies again) or a default.",
    )
    @errors_as_data
    async def clear_pickup_plan(self, info: Info, entry_id: strawberry.ID) -> AttendanceDoneResult:
        changed = await plans.clear_plan(
            db=info.context.db,
            actor=await info.context.require_actor(),
            entry_id=decode(entry_id, "PickupPlanEntry", field="entryId"),
        )
        await live.publish(info.context.runtime.broker, [changed])  # after the commit
        return AttendanceDone()

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="The companion child's custody guardian accepts or declines.",
    )
    @errors_as_data
    async def answer_pickup_companion(
        self, info: Info, entry_id: strawberry.ID, accept: bool
    ) -> PickupPlanResult:
        row, changed = await plan_leaving.answer_companion(
            db=info.context.db,
            actor=await info.context.require_actor(),
            entry_id=decode(entry_id, "PickupPlanEntry", field="entryId"),
            accept=accept,
        )
        await live.publish(info.context.runtime.broker, [changed])  # after the commit
        return PickupPlanEntryNode.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A custody guardian allows the child to go home alone, or withdraws it.",
    )
    @errors_as_data
    async def set_go_home_alone(
        self, info: Info, child_id: strawberry.ID, allowed: bool, note: str = ""
    ) -> GoHomeAloneResult:
        row, changed = await plan_leaving.set_go_home_alone(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=_child(child_id),
            allowed=allowed,
            note=note,
        )
        await live.publish(info.context.runtime.broker, [changed])  # after the commit
        return GoHomeAlonePermission.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Staff send a child home today; its guardians are told at once.",
    )
    @errors_as_data
    async def send_child_home(
        self, info: Info, child_id: strawberry.ID, reason: str
    ) -> PickupPlanResult:
        row, changed = await plan_leaving.send_child_home(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=_child(child_id),
            reason=reason,
        )
        await live.publish(info.context.runtime.broker, [changed])  # after the commit
        return PickupPlanEntryNode.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Set a pickup person's photo from an upload of purpose pickup_photo; "
        "null removes it (custody guardians, staff).",
    )
    @errors_as_data
    async def set_pickup_person_photo(
        self, info: Info, pickup_person_id: strawberry.ID, file_id: strawberry.ID | None
    ) -> PickupPersonResult:
        row, keys = await pickup_photos.set_photo(
            db=info.context.db,
            actor=await info.context.require_actor(),
            person_id=decode(pickup_person_id, "PickupPerson", field="pickupPersonId"),
            file_id=decode(file_id, "File", field="fileId") if file_id else None,
        )
        await files.delete_objects(info.context.runtime.storage, keys)  # after the commit
        return PickupPersonNode.of(row)
