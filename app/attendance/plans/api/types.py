"""GraphQL types of the pickup plan: plan entries, the effective plan per day, the change
history, the go-home-alone permission, and the plan's input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.api.access import operation_name
from app.api.ids import decode
from app.api.node import load_nodes, node_of
from app.api.reach import NotificationReach
from app.attendance.pickup import loaders as pickup_loaders
from app.attendance.pickup.api.types import PickupPersonNode
from app.attendance.plans import loaders as plan_loaders
from app.attendance.plans import models
from app.attendance.plans.service import entries as plans
from app.attendance.plans.service import reads
from app.attendance.plans.service.notices import entry_link
from app.institutions import loaders as institution_loaders
from app.notifications.service import reach as notification_reach
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access

if TYPE_CHECKING:
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
    user = await info.context.loaders.get(institution_loaders.user_by_id).load(user_id)
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
        nodes = await load_nodes(info, plan_loaders.pickup_plan_by_id, node_ids, cls.of)
        record_access(
            info.context.db,
            await info.context.require_actor(),
            child_ids=[n.row.child_id for n in nodes if n is not None],
            kind=AccessKind.PICKUP,
            operation=operation_name(info),
        )
        return nodes

    async def _own(self, info: Info) -> bool:
        """Staff and the child's guardians see everything; a companion's guardian the gist."""
        actor = await info.context.require_actor()
        return actor.works_in(self.row.institution_id) or self.row.child_id in actor.children

    @strawberry.field(
        description="When the child was sent home: whether each guardian was reached by push,"
        " e-mail or SMS (staff only; null for others and for a child not sent home)."
    )
    async def sent_home_reach(self, info: Info) -> list[NotificationReach] | None:
        actor = await info.context.require_actor()
        if self.row.leave_mode != "sent_home" or not actor.works_in(self.row.institution_id):
            return None
        rows = await notification_reach.reach_of(
            info.context.db,
            institution_id=self.row.institution_id,
            link=entry_link(self.row.id),
            kind="sent_home",
        )
        return [NotificationReach.of(row) for row in rows]

    @strawberry.field(description="Null for a companion child's guardian.")
    async def note(self, info: Info) -> str | None:
        return self.row.note if await self._own(info) else None

    @strawberry.field(description="The child, for staff and its guardians.")
    async def child(
        self, info: Info
    ) -> Annotated[ChildNode, strawberry.lazy("app.institutions.api.types")] | None:
        row = await info.context.loaders.get(institution_loaders.child_by_id).load(
            self.row.child_id
        )
        return node_of(info, "Child", row) if row else None

    @strawberry.field(description="The child's name; other families see the first name only.")
    async def child_name(self, info: Info) -> str | None:
        name: str | None = await info.context.loaders.get(plan_loaders.child_name_by_id).load(
            self.row.child_id
        )
        return name

    @strawberry.field
    async def pickup_person(self, info: Info) -> PickupPersonNode | None:
        if self.row.pickup_person_id is None:
            return None
        row = await info.context.loaders.get(pickup_loaders.pickup_person_by_id).load(
            self.row.pickup_person_id
        )
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
        name: str | None = await info.context.loaders.get(plan_loaders.child_name_by_id).load(
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
    closes_at: dt.time | None = strawberry.field(
        description="When the institution closes that day if it closes early, null on other"
        " days: `pickup` is then never later (a weekly 15:00 is the closing time)."
    )

    @classmethod
    def of(cls, plan: reads.DayPlan[models.PickupPlan]) -> PlannedDay:
        return cls(
            day=plan.day,
            source=PlanSource(plan.source),
            coming=plan.coming,
            arrival=plan.arrival,
            pickup=plan.pickup,
            entry=PickupPlanEntryNode.of(plan.entry) if plan.entry else None,
            closes_at=plan.closes_at,
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


@strawberry.input(
    description="One child of a plan for siblings: the people named are that child's own."
)
class SiblingPlanInput:
    child_id: strawberry.ID
    pickup_person_id: strawberry.ID | None = strawberry.field(
        default=None, description="This child's pickup person (PICKUP_PERSON)."
    )
    guardian_link_id: strawberry.ID | None = strawberry.field(
        default=None, description="Which of this child's guardians (GUARDIAN), if one."
    )

    def plan(self, shared: PickupPlanInput) -> plans.PlanInput:
        base = shared.to_domain()
        return dataclasses.replace(
            base,
            pickup_person_id=decode(self.pickup_person_id, "PickupPerson", field="pickupPersonId")
            if self.pickup_person_id
            else None,
            guardian_link_id=decode(self.guardian_link_id, "GuardianLink", field="guardianLinkId")
            if self.guardian_link_id
            else None,
        )


@strawberry.type(description="The plans set for several children in one call.")
class SiblingPickupPlans:
    entries: list[PickupPlanEntryNode] = strawberry.field(
        description="In the order the children were given."
    )
