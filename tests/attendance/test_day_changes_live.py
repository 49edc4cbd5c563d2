"""Every change of a child's day reaches the tablets showing its group (groupDayChanged) and,
where it concerns them, its guardians (myChildPresenceChanged): absences, plan changes for
today, a child sent home, the nightly close. Subscriptions run in-process here (see
live_support.py); test_presence_live.py crosses two server processes on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.attendance.live_support import hold_events, subscribed
from tests.attendance.plan_helpers import (
    METTE,
    PERNILLE,
    day,
    family,
    raw_uuid,
    set_plan,
)

CPH = ZoneInfo("Europe/Copenhagen")


def _today() -> date:
    return datetime.now(CPH).date()


def _channels(f: dict[str, Any]) -> tuple[str, str]:
    return f"presence-group:{raw_uuid(f['bears_group'])}", f"presence-child:{raw_uuid(f['liva'])}"


@pytest.fixture
def tablet_on_plan_clock(plan_clock: Any) -> Any:
    """The tablets read the group's day on the attendance clock, which the plan clock fixes
    (Monday 7 January 2030)."""
    return plan_clock


async def test_absences_reach_the_tablets_showing_the_group(client, runtime):
    broker = hold_events(runtime)
    f = await family(client)
    group, _ = _channels(f)
    today = _today()
    variables = {"groupId": f["bears_group"]}
    async with subscribed(
        runtime, client, "GroupDayChanged", variables, as_=PERNILLE, channel=group
    ) as tablet:
        sick = (
            await client.gql(
                "RegisterAbsence",
                {"childId": f["liva"], "kind": "SICK", "fromDay": today.isoformat()},
                as_=METTE,
            )
        )["registerAbsence"]
        assert broker.published(group) == [
            {"child_id": str(raw_uuid(f["liva"])), "kind": "absence"}
        ]
        row = await tablet.next()
        assert (row["child"]["id"], row["status"], row["absence"]["kind"]) == (
            f["liva"],
            "ABSENT",
            "SICK",
        )

        well = await client.gql(
            "ReportWell",
            {"absenceId": sick["id"], "backOn": (today + timedelta(days=1)).isoformat()},
            as_=METTE,
        )
        assert well["reportWell"]["untilDay"] == today.isoformat()
        row = await tablet.next()
        assert (row["child"]["id"], row["status"]) == (f["liva"], "ABSENT")

        cancelled = await client.gql("CancelAbsence", {"absenceId": sick["id"]}, as_=PERNILLE)
        assert cancelled["cancelAbsence"]["__typename"] == "AttendanceDone"
        row = await tablet.next()
        assert row["child"]["id"] == f["liva"] and row["status"] != "ABSENT"
        assert row["absence"] is None

        # A vacation later on does not change today's day: the tablets are not disturbed.
        await client.gql(
            "RegisterAbsence",
            {
                "childId": f["liva"],
                "kind": "VACATION",
                "fromDay": (today + timedelta(days=10)).isoformat(),
                "untilDay": (today + timedelta(days=12)).isoformat(),
            },
            as_=METTE,
        )
        assert broker.published(group) == []


async def test_todays_plan_changes_reach_the_tablets(client, runtime, tablet_on_plan_clock):
    broker = hold_events(runtime)
    f = await family(client)
    group, _ = _channels(f)
    liva = str(raw_uuid(f["liva"]))
    variables = {"groupId": f["bears_group"]}
    async with subscribed(
        runtime, client, "GroupDayChanged", variables, as_=PERNILLE, channel=group
    ) as tablet:
        today = await set_plan(
            client, f["liva"], day=day(0), leaveMode="GUARDIAN", arrival="08:00", pickup="15:00"
        )
        assert broker.published(group) == [{"child_id": liva, "kind": "plan"}]
        row = await tablet.next()
        assert row["child"]["id"] == f["liva"] and row["day"] == day(0)
        assert (row["plan"]["pickedUpAt"], row["plan"]["leaveMode"]) == ("15:00:00", "GUARDIAN")

        # Another day, and a Monday default while today has its own entry: today is as it was.
        await set_plan(client, f["liva"], day=day(2), leaveMode="GUARDIAN", pickup="15:00")
        await set_plan(client, f["liva"], weekday="MON", leaveMode="GUARDIAN", pickup="14:00")
        assert broker.published(group) == []

        # Today's entry cleared: the Monday default is today's plan now.
        cleared = await client.gql("ClearPickupPlan", {"entryId": today["id"]}, as_=METTE)
        assert cleared["clearPickupPlan"]["__typename"] == "AttendanceDone"
        row = await tablet.next()
        assert row["plan"]["pickedUpAt"] == "14:00:00"
        await set_plan(client, f["liva"], weekday="MON", leaveMode="GUARDIAN", pickup="13:30")
        row = await tablet.next()
        assert row["plan"]["pickedUpAt"] == "13:30:00"

        # Going home with a friend today: the request, then the friend's guardian's answer.
        asked = await set_plan(
            client,
            f["liva"],
            day=day(0),
            leaveMode="WITH_CHILD",
            pickup="15:00",
            companionChildId=f["friend"],
        )
        row = await tablet.next()
        assert row["plan"]["leaveMode"] == "WITH_CHILD"
        answer = {"entryId": asked["id"], "accept": True}
        await client.gql("AnswerPickupCompanion", answer, as_=f["friend_parent"])
        assert broker.published(group) == [{"child_id": liva, "kind": "plan"}]
        row = await tablet.next()
        assert row["child"]["id"] == f["liva"]


async def test_a_survey_answer_for_today_reaches_the_tablets(client, runtime, tablet_on_plan_clock):
    from tests.helpers import SOLSIKKEN_ADMIN

    broker = hold_events(runtime)
    f = await family(client)
    group, _ = _channels(f)
    survey = {"title": "Uge 2", "firstDay": day(1), "lastDay": day(4), "deadline": day(0)}
    opened = await client.gql(
        "OpenVacationSurvey",
        {"input": {"institutionId": f["institution"], **survey}},
        as_=SOLSIKKEN_ADMIN,
    )
    survey_id = opened["openVacationSurvey"]["id"]
    tablet_on_plan_clock.at_local(9, offset_days=1)  # Tuesday: past the deadline, staff answer
    async with subscribed(
        runtime,
        client,
        "GroupDayChanged",
        {"groupId": f["bears_group"]},
        as_=PERNILLE,
        channel=group,
    ) as tablet:
        answer = {"surveyId": survey_id, "childId": f["liva"]}
        later = [{"day": day(3), "coming": False}]
        await client.gql("AnswerVacationSurvey", {**answer, "days": later}, as_=PERNILLE)
        assert broker.published(group) == []
        today = [{"day": day(1), "coming": False}]
        answered = await client.gql("AnswerVacationSurvey", {**answer, "days": today}, as_=PERNILLE)
        assert answered["answerVacationSurvey"]["__typename"] == "VacationAnswers", answered
        row = await tablet.next()
        assert (row["child"]["id"], row["day"], row["status"]) == (
            f["liva"],
            day(1),
            "NOT_EXPECTED",
        )


async def test_a_child_sent_home_reaches_its_guardians_and_the_tablets(client, runtime):
    broker = hold_events(runtime)
    f = await family(client)
    group, child = _channels(f)
    friends = f"presence-child:{raw_uuid(f['friend'])}"
    async with (
        subscribed(
            runtime,
            client,
            "GroupDayChanged",
            {"groupId": f["bears_group"]},
            as_=PERNILLE,
            channel=group,
        ) as tablet,
        subscribed(
            runtime, client, "MyChildPresenceChanged", {}, as_=METTE, channel=child
        ) as mother,
        subscribed(
            runtime,
            client,
            "MyChildPresenceChanged",
            {},
            as_=f["friend_parent"],
            channel=friends,
        ),
    ):
        sent = await client.gql(
            "SendChildHome", {"childId": f["liva"], "reason": "Feber"}, as_=PERNILLE
        )
        assert sent["sendChildHome"]["leaveMode"] == "SENT_HOME"
        told = await mother.next()
        assert (told["child"]["id"], told["plan"]["leaveMode"], told["note"]) == (
            f["liva"],
            "SENT_HOME",
            "Feber",
        )
        shown = await tablet.next()
        assert (shown["child"]["id"], shown["plan"]["leaveMode"]) == (f["liva"], "SENT_HOME")
        # Another family hears nothing of it.
        assert broker.published(friends) == []


async def test_the_nightly_close_tells_the_tablets_and_the_guardians(
    client, runtime, settings, plan_clock
):
    """On the plan clock (a fixed Monday morning), so that "yesterday's" stay is yesterday's
    whatever the hour this runs (at 23:00 in Copenhagen, 23 hours ago was today)."""
    from app.attendance.service import clock
    from app.ops.jobs import run_due_jobs
    from app.root.jobs import PERIODIC_JOBS
    from tests.attendance.test_nightly_close import _yesterday_stay

    child, _ = await _yesterday_stay(client, runtime)
    f = await family(client)
    group, mine = _channels(f)
    job = next(j for j in PERIODIC_JOBS if j.name == "attendance-nightly")
    broker = runtime.broker
    async with broker.subscribe(group) as tablets, broker.subscribe(mine) as guardians:
        ran = await run_due_jobs(
            sessions=runtime.sessions,
            storage=runtime.storage,
            settings=settings,
            jobs=[job],
            now=clock.now(),
            broker=broker,
        )
        assert ran == ["attendance-nightly"]
        events = [await asyncio.wait_for(e.__anext__(), timeout=2) for e in (tablets, guardians)]
    assert events == [{"child_id": str(raw_uuid(child["id"])), "kind": "nightly_close"}] * 2
