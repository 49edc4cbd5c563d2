"""GraphQL surface of the presence read models: groupDay, the guardian's views, the report,
and the subscriptions that push changes (IDs over the broker, re-read per subscriber)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import asynccontextmanager
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.api.access import operation_name
from app.api.ids import decode
from app.api.node import node_of
from app.api.permissions import IsAuthenticated
from app.attendance.absences.api.types import Absence
from app.attendance.plans.api.types import CompanionStatus, LeaveMode
from app.attendance.presence.api.operations import PresenceNode
from app.attendance.presence.reads import days
from app.attendance.presence.reads.plans import PlanView
from app.attendance.presence.service import live, views
from app.core.actor import Actor
from app.core.errors import DomainError
from app.db import end_read_transaction
from app.institutions.service import actor as institutions
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access

if TYPE_CHECKING:
    from app.institutions.api.types import ChildNode, GroupNode


@strawberry.enum
class DayStatus(Enum):
    EXPECTED = "expected"
    PRESENT = "present"
    PICKED_UP = "picked_up"
    ABSENT = "absent"
    NOT_EXPECTED = "not_expected"


@strawberry.type
class ChildDayPlan:
    expected: bool
    arrives_at: dt.time | None
    picked_up_at: dt.time | None = strawberry.field(
        description="Expected pickup; for ALONE the earliest time to leave."
    )
    pickup_person: str | None = strawberry.field(
        description="GUARDIAN or PICKUP_PERSON: who fetches the child, when named."
    )
    leave_mode: LeaveMode | None = strawberry.field(
        description="How the child leaves; null when nothing is planned."
    )
    alone_until: dt.time | None = strawberry.field(description="ALONE: the latest time to leave.")
    companion_name: str | None = strawberry.field(
        description="WITH_CHILD: the child it goes home with (other families see a first name)."
    )
    companion_status: CompanionStatus | None = strawberry.field(
        description="WITH_CHILD: PENDING until the other child's guardian accepts."
    )

    @classmethod
    def of(cls, plan: PlanView) -> ChildDayPlan:
        return cls(
            expected=plan.expected,
            arrives_at=plan.arrives_at,
            picked_up_at=plan.picked_up_at,
            pickup_person=plan.pickup_person,
            leave_mode=LeaveMode(plan.leave_mode) if plan.leave_mode else None,
            alone_until=plan.alone_until,
            companion_name=plan.companion_name,
            companion_status=(
                CompanionStatus(plan.companion_status) if plan.companion_status else None
            ),
        )


@strawberry.type
class ChildDayFlags:
    not_arrived: bool = strawberry.field(description="Expected, and not here by their time.")
    overdue: bool = strawberry.field(
        description="Still here past the planned pickup time (ALONE: past its window)."
    )
    unplanned_pickup: bool = strawberry.field(description="Picked up by someone not planned.")


@strawberry.type
class ChildDay:
    day: dt.date
    status: DayStatus
    child: Annotated[ChildNode, strawberry.lazy("app.institutions.api.types")]
    arrived_at: dt.datetime | None
    plan: ChildDayPlan
    absence: Absence | None
    note: str | None
    flags: ChildDayFlags
    stays: list[PresenceNode]
    closes_at: dt.time | None = strawberry.field(
        description="When the institution closes that day if it closes early (Grundlovsdag"
        " afternoon: 12:00), null on other days; the plan's times end there."
    )

    @classmethod
    def of(cls, info: Info, row: days.ChildDay) -> ChildDay:
        return cls(
            day=row.day,
            status=DayStatus(row.status),
            child=node_of(info, "Child", row.child),
            arrived_at=row.arrived_at,
            plan=ChildDayPlan.of(row.plan),
            absence=Absence.of(row.absence) if row.absence else None,
            note=row.note,
            flags=ChildDayFlags(
                not_arrived=row.not_arrived,
                overdue=row.overdue,
                unplanned_pickup=row.unplanned_pickup,
            ),
            stays=[PresenceNode.of(s) for s in row.stays],
            closes_at=row.closes_at,
        )


@strawberry.type
class DayCounts:
    expected: int
    present: int
    picked_up: int
    absent: int
    not_expected: int


@strawberry.type
class GroupDay:
    day: dt.date
    group: Annotated[GroupNode, strawberry.lazy("app.institutions.api.types")]
    counts: DayCounts
    children: list[ChildDay]
    closes_at: dt.time | None = strawberry.field(
        description="When the institution closes that day if it closes early (Grundlovsdag"
        " afternoon: 12:00), null on other days; the plan's times end there."
    )

    @classmethod
    def of(cls, info: Info, row: days.GroupDay) -> GroupDay:
        return cls(
            day=row.day,
            group=node_of(info, "Group", row.group),
            counts=DayCounts(**row.counts),
            children=[ChildDay.of(info, c) for c in row.children],
            closes_at=row.closes_at,
        )


@strawberry.type
class AttendanceReportRow:
    group_id: strawberry.ID | None
    group_name: str
    day: dt.date
    present: int
    sick: int
    vacation: int
    other_absence: int
    minutes_present: int
    open_day: bool = strawberry.field(
        description="False on a day the institution was closed (no opening hours that weekday,"
        " a public holiday, its own closing day): not counted as an open day."
    )

    @classmethod
    def of(cls, row: views.ReportRow) -> AttendanceReportRow:
        return cls(
            group_id=strawberry.ID(strawberry.relay.to_base64("Group", row.group_id))
            if row.group_id
            else None,
            group_name=row.group_name,
            day=row.day,
            present=row.present,
            sick=row.sick,
            vacation=row.vacation,
            other_absence=row.other_absence,
            minutes_present=row.minutes_present,
            open_day=row.open_day,
        )


def _logged(info: Info, actor: Actor, rows: Iterable[days.ChildDay]) -> None:
    """Note the children whose day (stays, status, plan, absence) the answer holds."""
    record_access(
        info.context.db,
        actor,
        child_ids=[row.child.id for row in rows],
        kind=AccessKind.PRESENCE,
        operation=operation_name(info),
    )


@strawberry.type
class PresenceViewQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The group's day on the tablet: every child, status, times, flags, counts.",
    )
    async def group_day(
        self, info: Info, group_id: strawberry.ID, day: dt.date | None = None
    ) -> GroupDay | None:
        actor = await info.context.require_actor()
        gid = decode(group_id, "Group", field="groupId")
        try:
            row = await days.group_day(db=info.context.db, actor=actor, group_id=gid, day=day)
        except DomainError:
            return None
        _logged(info, actor, row.children)
        return GroupDay.of(info, row)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Today's status of each of your children, across institutions.",
    )
    async def my_children_today(self, info: Info) -> list[ChildDay]:
        actor = await info.context.require_actor()
        rows = await days.my_children_today(db=info.context.db, actor=actor)
        _logged(info, actor, rows)  # a guardian's own children: nothing is written
        return [ChildDay.of(info, r) for r in rows]

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="The child's coming days (up to 31)."
    )
    async def child_plan(
        self, info: Info, child_id: strawberry.ID, start: dt.date, days: int = 14
    ) -> list[ChildDay]:
        actor = await info.context.require_actor()
        rows = await views.child_plan(
            db=info.context.db,
            actor=actor,
            child_id=decode(child_id, "Child", field="childId"),
            start=start,
            days=days,
        )
        _logged(info, actor, rows)
        return [ChildDay.of(info, r) for r in rows]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The child's stays between two dates (at most 93 days).",
    )
    async def presence_history(
        self, info: Info, child_id: strawberry.ID, start: dt.date, end: dt.date
    ) -> list[PresenceNode]:
        actor = await info.context.require_actor()
        rows = await views.presence_history(
            db=info.context.db,
            actor=actor,
            child_id=decode(child_id, "Child", field="childId"),
            start=start,
            end=end,
        )
        record_access(
            info.context.db,
            actor,
            child_ids=[row.child_id for row in rows],
            kind=AccessKind.PRESENCE,
            operation=operation_name(info),
        )
        return [PresenceNode.of(r) for r in rows]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Attendance per group and day for a period of up to 93 days (admins).",
    )
    async def attendance_report(
        self, info: Info, institution_id: strawberry.ID, start: dt.date, end: dt.date
    ) -> list[AttendanceReportRow]:
        rows = await views.attendance_report(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            start=start,
            end=end,
        )
        return [AttendanceReportRow.of(r) for r in rows]


@asynccontextmanager
async def _fresh(info: Info) -> AsyncIterator[tuple[AsyncSession, Actor | None]]:
    """A session of its own per pushed event, and the actor loaded again: a revoked session
    ends the subscription at the next event."""
    async with info.context.runtime.sessions() as db:
        token = info.context.bearer_token()
        actor = None
        if token:
            actor = await institutions.sign_in(db=db, token=token)
        try:
            yield db, actor
        finally:
            await db.commit()


@strawberry.type
class PresenceSubscriptions:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Every change in the group's day: the child's row, re-read for you.",
    )
    async def group_day_changed(
        self, info: Info, group_id: strawberry.ID
    ) -> AsyncGenerator[ChildDay, None]:
        actor = await info.context.require_actor()
        gid = decode(group_id, "Group", field="groupId")
        broker = info.context.runtime.broker
        # Refused before listening if the group is not the actor's to see.
        await days.group_day(db=info.context.db, actor=actor, group_id=gid)
        await info.context.db.commit()  # hold no transaction while waiting for events
        async with broker.subscribe(live.group_channel(gid)) as events:
            async for event in events:
                child_id = uuid.UUID(event["child_id"])
                async with _fresh(info) as (db, fresh):
                    if fresh is None:
                        return
                    try:
                        group = await days.group_day(db=db, actor=fresh, group_id=gid)
                    except DomainError:
                        return
                for row in group.children:
                    if row.child.id == child_id:
                        _logged(info, actor, [row])  # written before it is sent
                        yield ChildDay.of(info, row)
                        # Resumed once the row was sent: its fields read through the
                        # request's session; an idle subscriber holds no transaction.
                        await end_read_transaction(info.context.db)

    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Your child was checked in or out: today's row, re-read for you.",
    )
    async def my_child_presence_changed(self, info: Info) -> AsyncGenerator[ChildDay, None]:
        actor = await info.context.require_actor()
        broker = info.context.runtime.broker
        children = sorted(actor.guardian_of)
        await end_read_transaction(info.context.db)  # hold no transaction while waiting
        if not children:
            return
        # One subscription per child would need a merge; children are few: listen to each.
        import asyncio

        queue: asyncio.Queue[uuid.UUID] = asyncio.Queue()

        async def listen(child_id: uuid.UUID) -> None:
            async with broker.subscribe(live.child_channel(child_id)) as events:
                async for _ in events:
                    await queue.put(child_id)

        tasks = [asyncio.create_task(listen(c)) for c in children]
        try:
            while True:
                child_id = await queue.get()
                async with _fresh(info) as (db, fresh):
                    if fresh is None:
                        return
                    rows = await days.my_children_today(db=db, actor=fresh)
                for row in rows:
                    if row.child.id == child_id:
                        _logged(info, actor, [row])  # a guardian's own child: no row
                        yield ChildDay.of(info, row)
                        await end_read_transaction(info.context.db)  # as above
        finally:
            for task in tasks:
                task.cancel()
