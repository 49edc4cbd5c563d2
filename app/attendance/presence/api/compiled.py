"""The compiled form of `GroupDay` (app/api/compiled.py): one statement after the sign-in, over
the group's day read model (app.attendance.presence.reads.days: the group through
visible_groups, each child's row of `children_statement` through visible_children, the stays
through visible_presences). What `days.child_day_of`, `plans.resolve` and `plan_view` decide in
Python (the day's plan, its times clipped to an early closing, status, note and flags) is
spelled in SQL here, rule for rule; the clock's "now" is a parameter of every request. The
access log notes the children of the day exactly as the resolver does (`finish`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Hashable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Text,
    Time,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import Select

from app.accounts.models import User
from app.api.compiled import (
    CompiledAnswer,
    CompiledRequest,
    Fields,
    NotCompilable,
    Selection,
    bound_id,
    global_id,
    global_id_type,
    iso_datetime,
    json_list,
    resolvers_only,
    takes_arguments,
)
from app.attendance.presence.models import Presence
from app.attendance.presence.policies import visible_presences
from app.attendance.presence.reads.days import active_on, children_statement
from app.attendance.presence.reads.plans import WEEKDAYS
from app.attendance.service import clock
from app.core.actor import Actor
from app.core.shapes import per_request
from app.institutions.calendar.service.days import closed_on, closes_early_on
from app.institutions.models import Child, Group, Institution
from app.institutions.policies import visible_groups
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import logging_in_statement, written_in_statement

# The zone "today" is guessed in when the request leaves the day out; an institution in
# another zone whose today differs is answered by the resolvers (the statement checks).
ASSUMED_ZONE = ZoneInfo("Europe/Copenhagen")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text(value: str | None) -> ColumnElement[Any]:
    return literal(value, Text)


def iso_time(value: ColumnElement[Any]) -> ColumnElement[str]:
    """A time as Python's `time.isoformat()` (the Time scalar): microseconds only when any."""
    printed = func.to_char(value, "HH24:MI:SS.US", type_=Text)
    return func.replace(printed, ".000000", "", type_=Text)


def _enum(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """An enum's GraphQL name from its value (all of presence's: the value in capitals); null
    for null or empty, as the types' `X(value) if value else None`."""
    return case((func.coalesce(value, "") != "", func.upper(value)))


def _day_of(value: Any) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise NotCompilable("day")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotCompilable("day") from None


def _today() -> date:
    return clock.now().astimezone(ASSUMED_ZONE).date()


def _in(value: Any, ids: Any) -> ColumnElement[bool]:
    """`value in ids` for an actor's set (empty: false, as Python answers)."""
    return value.in_(ids) if ids else false()


class _Day:
    """The SQL of one group's day: the group (a CTE of at most one row), each child's day (a
    CTE of one row per child, its plan, status and flags computed), and the fields' SQL."""

    def __init__(self, actor: Actor, group_id: uuid.UUID, day: date, given: bool) -> None:
        self.actor, self.day = actor, day
        self.group_cte = (
            select(
                Group.id,
                Group.name,
                Group.is_active,
                Group.institution_id,
                Institution.timezone,
                Institution.opening_hours,
                # Whether the place is closed, and when it closes early: the group's institution
                # is each of its children's (their composite key), so asked once, here.
                closed_on(day, Group.institution_id).label("closed"),
                closes_early_on(day, Group.institution_id).label("closes_at"),
            )
            .select_from(Group)
            .join(Institution, Institution.id == Group.institution_id)
            .where(Group.id == group_id, visible_groups(actor))
            .cte("day_group")
        )
        g = self.group_cte.c
        # Looked up when a request runs (a statement outlives a test's patched clock).
        now = per_request(actor, "now", lambda: clock.now(), DateTime(timezone=True))
        self.local_now = func.timezone(g.timezone, now)
        # Not a bare device, and one works there (else the resolver's NotFound: null).
        self.shown = false() if actor.is_bare_device else _in(g.institution_id, actor.employed_in)
        # Today guessed in ASSUMED_ZONE: the institution's own today must agree.
        self.agrees = true() if given else cast(self.local_now, Date) == day
        midnight = datetime.combine(day, time(0))
        self.start = func.timezone(g.timezone, literal(midnight, DateTime()))
        self.end = func.timezone(g.timezone, literal(midnight + timedelta(days=1), DateTime()))
        self.children = children_statement(
            actor, [Child.group_id == group_id, *active_on(day)], day
        ).subquery("day_child")
        self.days = self._child_days()

    def stay_filter(self, of_children: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        """days._stays: the stays of the children `of_children` picks that overlap the day,
        through visible_presences."""
        return [
            of_children,
            visible_presences(self.actor),
            Presence.checked_in_at < self.end,
            or_(Presence.checked_out_at.is_(None), Presence.checked_out_at > self.start),
        ]

    def _child_days(self) -> Any:
        actor, day, r, g = self.actor, self.day, self.children.c, self.group_cte.c
        last = (Presence.checked_in_at.desc(), Presence.id.desc())

        def newest(column: Any) -> Any:
            return func.array_agg(aggregate_order_by(column, *last))[1]

        stays = (
            select(
                func.count().label("stay_count"),
                func.min(Presence.checked_in_at).label("arrived_at"),
                newest(Presence.checked_out_at).label("last_out"),
                newest(Presence.picked_up_by_kind).label("last_kind"),
                newest(Presence.picked_up_by_person).label("last_person"),
                newest(Presence.picked_up_by_user).label("last_user"),
            )
            .where(*self.stay_filter(Presence.child_id == r.child_id))
            .lateral("day_stays")
        )
        s = stays.c
        has_o, has_w = r.override_id.is_not(None), r.weekly_id.is_not(None)
        has_a = r.answer_id.is_not(None)
        # plans.resolve: the date's row, else the survey answer (with the weekly row), else
        # the weekly row; `entry` is the row that says how the child leaves.
        has_entry = or_(has_o, and_(has_w, or_(not_(has_a), r.answer_coming)))
        coming = case((has_o, true()), (has_a, r.answer_coming), else_=true())

        def planned(key: str) -> Any:
            by_answer = case(
                (
                    r.answer_coming,
                    func.coalesce(getattr(r, f"answer_{key}"), getattr(r, f"weekly_{key}")),
                )
            )
            return case(
                (has_o, getattr(r, f"override_{key}")),
                (has_a, by_answer),
                else_=getattr(r, f"weekly_{key}"),
            )

        def entry(key: str) -> Any:
            return case(
                (has_o, getattr(r, f"override_{key}")),
                (has_entry, getattr(r, f"weekly_{key}")),
            )

        def clipped(value: Any) -> Any:
            """plans.clipped: a time of leaving never after the day's early closing."""
            return case(
                (and_(g.closes_at.is_not(None), value > g.closes_at), g.closes_at), else_=value
            )

        # plans.is_open and plan_view: without a plan, expected whenever it is open.
        open_ = and_(g.opening_hours[WEEKDAYS[day.weekday()]].is_not(None), not_(g.closed))
        expected = and_(open_, coming)
        leave_mode = entry("leave_mode")
        arrival, pickup = planned("arrival"), clipped(planned("pickup"))
        alone_until = case((leave_mode == "alone", clipped(entry("alone_until"))))
        leave_by = case((leave_mode == "alone", alone_until), else_=pickup)
        person, guardian = entry("pickup_person_id"), entry("guardian_user_id")
        # plans.policies.child_name_for
        companion_name = case(
            (or_(entry("companion_child_id").is_(None), r.companion_id.is_(None)), _text(None)),
            (
                or_(
                    _in(r.companion_institution_id, actor.employed_in),
                    _in(r.companion_id, actor.guardian_of),
                ),
                func.concat(r.companion_first_name, " ", r.companion_last_name, type_=Text),
            ),
            (r.companion_is_protected, _text(None)),
            else_=r.companion_first_name,
        )
        # days.child_day_of
        status = case(
            (s.stay_count > 0, case((s.last_out.is_(None), "present"), else_="picked_up")),
            (r.absence_id.is_not(None), "absent"),
            (expected, "expected"),
            else_="not_expected",
        )
        today = cast(self.local_now, Date) == day
        local_time = cast(self.local_now, Time)
        not_arrived = and_(today, status == "expected", arrival.is_not(None), local_time > arrival)
        overdue = and_(today, status == "present", leave_by.is_not(None), local_time > leave_by)
        named = func.coalesce(person, guardian)
        unplanned = case(
            (s.last_kind.is_(None), false()),
            (s.last_kind == "other", true()),
            (
                and_(
                    named.is_not(None),
                    named.is_distinct_from(s.last_person),
                    named.is_distinct_from(s.last_user),
                ),
                true(),
            ),
            else_=false(),
        )
        return (
            select(
                r.child_id,
                r.child_first_name,
                r.child_last_name,
                r.child_birth_date,
                r.child_is_protected,
                r.absence_id,
                r.absence_kind,
                r.absence_from_day,
                r.absence_until_day,
                r.absence_note,
                g.closes_at,
                status.label("status"),
                s.arrived_at,
                expected.label("plan_expected"),
                arrival.label("plan_arrives_at"),
                pickup.label("plan_picked_up_at"),
                case(
                    (person.is_not(None), r.person_name),
                    (guardian.is_not(None), r.guardian_name),
                ).label("plan_pickup_person"),
                _enum(leave_mode).label("plan_leave_mode"),
                alone_until.label("plan_alone_until"),
                companion_name.label("plan_companion_name"),
                _enum(entry("companion_status")).label("plan_companion_status"),
                func.coalesce(
                    func.nullif(r.absence_note, ""), func.nullif(entry("note"), "")
                ).label("note"),
                case((not_arrived, true()), else_=false()).label("not_arrived"),
                case((overdue, true()), else_=false()).label("overdue"),
                unplanned.label("unplanned_pickup"),
            )
            .select_from(self.children)
            .join(self.group_cte, true())
            .outerjoin(stays, true())
            .cte("child_days")
        )

    # The fields ---------------------------------------------------------------------------

    def child_fields(self, c: Any) -> Fields:
        return {
            "id": lambda _: global_id("Child", c.child_id),
            "name": lambda _: func.concat(c.child_first_name, " ", c.child_last_name, type_=Text),
            "firstName": lambda _: c.child_first_name,
            "lastName": lambda _: c.child_last_name,
            "birthDate": lambda _: c.child_birth_date,
            "isProtected": lambda _: c.child_is_protected,
        }

    def stay_fields(self) -> Fields:
        checked_in_by, checked_out_by = _CHECKED_IN_BY, _CHECKED_OUT_BY
        picked_up_by: Fields = {
            "kind": lambda _: func.upper(Presence.picked_up_by_kind),
            "name": lambda _: func.coalesce(Presence.picked_up_by_name, ""),
        }
        return {
            "id": lambda _: global_id("Presence", Presence.id),
            "checkedInAt": lambda _: iso_datetime(Presence.checked_in_at.expression),
            "checkedOutAt": lambda _: iso_datetime(Presence.checked_out_at.expression),
            "checkoutEstimated": lambda _: Presence.checkout_estimated,
            "checkedInBy": lambda _: func.coalesce(checked_in_by.name, ""),
            "checkedOutBy": lambda _: case(
                (Presence.checked_out_by.is_not(None), func.coalesce(checked_out_by.name, ""))
            ),
            "pickedUpBy": lambda inner: case(
                (
                    Presence.picked_up_by_kind.is_not(None),
                    inner.object("PickedUpBy", picked_up_by),
                )
            ),
            "overrideReason": lambda _: case(
                (
                    _in(Presence.institution_id, self.actor.employed_in),
                    Presence.override_reason,
                )
            ),
        }

    def stays(self, c: Any) -> Any:
        def sql(selection: Selection) -> ColumnElement[Any]:
            # Every child's stays in one pass over the day's presences (a materialized CTE),
            # not a subquery per child: the list's JSON is built once per child either way.
            item = selection.object("Presence", self.stay_fields())
            checked_in_by, checked_out_by = _CHECKED_IN_BY, _CHECKED_OUT_BY
            listed = (
                select(
                    Presence.child_id.label("child_id"),
                    json_list(item, Presence.checked_in_at, Presence.id).label("stays"),
                )
                .select_from(Presence)
                .outerjoin(checked_in_by, checked_in_by.id == Presence.checked_in_by)
                .outerjoin(checked_out_by, checked_out_by.id == Presence.checked_out_by)
                .where(*self.stay_filter(Presence.child_id.in_(select(c.child_id))))
                .group_by(Presence.child_id)
                .cte("day_stay_lists")
                .prefix_with("MATERIALIZED")
            )
            found = select(listed.c.stays).where(listed.c.child_id == c.child_id)
            return func.coalesce(found.scalar_subquery(), literal_column("'[]'::json"))

        return sql

    def child_day_fields(self, c: Any) -> Fields:
        plan: Fields = {
            "expected": lambda _: c.plan_expected,
            "arrivesAt": lambda _: iso_time(c.plan_arrives_at),
            "pickedUpAt": lambda _: iso_time(c.plan_picked_up_at),
            "pickupPerson": lambda _: c.plan_pickup_person,
            "leaveMode": lambda _: c.plan_leave_mode,
            "aloneUntil": lambda _: iso_time(c.plan_alone_until),
            "companionName": lambda _: c.plan_companion_name,
            "companionStatus": lambda _: c.plan_companion_status,
        }
        absence: Fields = {
            "id": lambda _: cast(c.absence_id, Text),
            "kind": lambda _: func.upper(c.absence_kind),
            "fromDay": lambda _: c.absence_from_day,
            "untilDay": lambda _: c.absence_until_day,
            "note": lambda _: c.absence_note,
        }
        flags: Fields = {
            "notArrived": lambda _: c.not_arrived,
            "overdue": lambda _: c.overdue,
            "unplannedPickup": lambda _: c.unplanned_pickup,
        }
        return {
            "day": lambda _: _text(self.day.isoformat()),
            "status": lambda _: func.upper(c.status),
            "child": lambda inner: inner.object("Child", self.child_fields(c)),
            "arrivedAt": lambda _: iso_datetime(c.arrived_at),
            "plan": lambda inner: inner.object("ChildDayPlan", plan),
            "absence": lambda inner: case(
                (c.absence_id.is_not(None), inner.object("Absence", absence))
            ),
            "note": lambda _: c.note,
            "flags": lambda inner: inner.object("ChildDayFlags", flags),
            "stays": self.stays(c),
            "closesAt": lambda _: iso_time(c.closes_at),
        }

    def group_day_fields(self) -> Fields:
        g, c = self.group_cte.c, self.days.c
        group: Fields = {
            "id": lambda _: global_id("Group", g.id),
            "name": lambda _: g.name,
            "isActive": lambda _: g.is_active,
        }

        def count(status: str) -> Any:
            return lambda _: (
                select(func.count()).select_from(self.days).where(c.status == status)
            ).scalar_subquery()

        counts: Fields = {
            "expected": count("expected"),
            "present": count("present"),
            "pickedUp": count("picked_up"),
            "absent": count("absent"),
            "notExpected": count("not_expected"),
        }

        def children(selection: Selection) -> ColumnElement[Any]:
            item = selection.object("ChildDay", self.child_day_fields(c))
            order = (c.child_first_name, c.child_last_name, c.child_id)
            return select(json_list(item, *order)).select_from(self.days).scalar_subquery()

        return {
            "day": lambda _: _text(self.day.isoformat()),
            "group": lambda inner: inner.object("Group", group),
            "counts": lambda inner: inner.object("DayCounts", counts),
            "children": children,
            "closesAt": lambda _: iso_time(g.closes_at),
        }

    def answer(self, selection: Selection) -> ColumnElement[Any]:
        """The group's day; null where the resolver answers null; the resolvers' answer when
        "today" was guessed in the wrong zone."""
        day = selection.object("GroupDay", self.group_day_fields())
        return (
            select(
                case(
                    (not_(self.shown), literal_column("NULL::json")),
                    (self.agrees, day),
                    else_=resolvers_only(),
                )
            )
            .select_from(self.group_cte)
            .scalar_subquery()
        )

    def logged(self) -> Select[Any]:
        """The children whose day the answer holds (the access log's), none when null."""
        return (
            select(self.days.c.child_id, self.group_cte.c.institution_id.label("institution_id"))
            .select_from(self.days)
            .join(self.group_cte, true())  # the group: one row
            .where(self.shown)
        )


_CHECKED_IN_BY = aliased(User, name="stay_checked_in_by")
_CHECKED_OUT_BY = aliased(User, name="stay_checked_out_by")


class CompiledGroupDay:
    name = "GroupDay"
    logs_in_statement = True
    # One statement for every group asked about on a day (its rows are the visibility rules').
    bound_variables = {"groupId": global_id_type}

    def accepts(self, variables: Mapping[str, Any]) -> bool:
        if set(variables) - {"groupId", "day"} or not isinstance(variables.get("groupId"), str):
            return False
        try:
            _day_of(variables.get("day"))
        except NotCompilable:
            return False
        return True

    def key(self, variables: Mapping[str, Any]) -> Hashable:
        """A request without a day asks for today: the statement is built per day."""
        return _today() if variables.get("day") is None else None

    def statement(self, request: CompiledRequest) -> Select[Any]:
        actor = request.actor
        built: list[_Day] = []

        @takes_arguments
        def group_day(selection: Selection) -> ColumnElement[Any]:
            arguments = selection.arguments()
            if set(arguments) - {"groupId", "day"} or built:
                raise NotCompilable("groupDay arguments, or groupDay twice")
            given = _day_of(arguments.get("day"))
            # Not a Group ID: NotCompilable, the resolver answers its error.
            group_id = bound_id(request, "groupId", "Group", arguments.get("groupId"))
            day = _Day(actor, group_id, given or _today(), given is not None)
            built.append(day)
            return day.answer(selection)

        data = request.compiler.root("Query", {"groupDay": group_day})
        if not built:
            raise NotCompilable("no groupDay")
        statement = select(cast(data, Text))
        if request.access_log:
            reads = [(AccessKind.PRESENCE, built[0].logged())]
            statement = logging_in_statement(statement, actor, reads, operation=self.name)
        return statement

    def record(self, answered: CompiledAnswer) -> None:
        written_in_statement(answered.db, answered.columns)
