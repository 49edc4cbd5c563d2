"""Part-day closing (issue 16): an institution closes from a time of day on (Grundlovsdag
afternoon, 12:00). The calendar shows it; the day stays an open day for plans and reports,
but a pickup after the closing time is refused and the nightly close estimates a forgotten
check-out at the closing time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from app.attendance.presence.models import Presence
from app.attendance.presence.service.nightly import close_forgotten_checkouts
from app.attendance.service import clock
from tests.attendance.plan_helpers import METTE, day, family, set_plan
from tests.attendance.presence_support import admin_session, ago, check_in, liva
from tests.helpers import SOLSIKKEN_ADMIN

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


async def _close(client, institution: str, on: str, closes_at: str | None, label: str = "x"):
    data = await client.gql(
        "CloseDays",
        {"institutionId": institution, "from": on, "to": on, "label": label, "closesAt": closes_at},
        as_=SOLSIKKEN_ADMIN,
    )
    result: dict = data["closeDays"]
    assert result["__typename"] == "CalendarDays", result
    return result["days"]


async def test_the_calendar_shows_a_day_closing_at_noon(client, plan_clock):
    f = await family(client)
    (closed,) = await _close(client, f["institution"], day(2), "12:00", "Grundlovsdag eftermiddag")
    assert (closed["day"], closed["kind"], closed["closesAt"]) == (
        day(2),
        "INSTITUTION",
        "12:00:00",
    )
    seen = await client.gql(
        "CalendarClosedDays",
        {"institutionId": f["institution"], "from": day(0), "to": day(6)},
        as_=METTE,
    )
    assert [(d["day"], d["closesAt"]) for d in seen["closedDays"]] == [(day(2), "12:00:00")]
    # Closed the whole day again: no time.
    (whole,) = await _close(client, f["institution"], day(2), None)
    assert whole["closesAt"] is None


async def test_a_pickup_after_the_closing_time_is_refused(client, plan_clock):
    f = await family(client)
    await _close(client, f["institution"], day(2), "12:00")
    late = await set_plan(client, f["liva"], day=day(2), leaveMode="GUARDIAN", pickup="15:00")
    assert (late["code"], late["field"]) == ("OUTSIDE_OPENING_HOURS", "pickup")
    assert "12:00" in late["message"]
    early = await set_plan(client, f["liva"], day=day(2), leaveMode="GUARDIAN", pickup="11:30")
    assert early["__typename"] == "PickupPlanEntry", early
    # The day before keeps its whole hours.
    other = await set_plan(client, f["liva"], day=day(1), leaveMode="GUARDIAN", pickup="15:00")
    assert other["__typename"] == "PickupPlanEntry", other
    # Closing before it opens is closing the day.
    await _close(client, f["institution"], day(3), "06:00")
    shut = await set_plan(client, f["liva"], day=day(3), leaveMode="GUARDIAN", pickup="10:00")
    assert shut["code"] == "DAY_CLOSED"


async def test_the_attendance_report_counts_it_as_an_open_day(client, plan_clock):
    f = await family(client)
    await _close(client, f["institution"], day(1), "12:00")
    await _close(client, f["institution"], day(2), None)
    data = await client.gql(
        "AttendanceReport",
        {"institutionId": f["institution"], "start": day(1), "end": day(2)},
        as_=SOLSIKKEN_ADMIN,
    )
    rows = data["attendanceReport"]
    open_days = {(r["day"], r["openDay"]) for r in rows}
    assert (day(1), True) in open_days and (day(2), False) in open_days


async def test_the_nightly_close_estimates_at_the_early_closing_time(client, runtime, plan_clock):
    f = await family(client)
    child = await liva(client)
    came = await check_in(client, child["id"], at=ago(60))  # Monday 08:00
    assert came["__typename"] == "PresenceChanged"
    await _close(client, f["institution"], day(0), "12:00")
    plan_clock.at_local(9, 0, 1)  # Tuesday morning: Monday's stay was never checked out
    async with admin_session(runtime) as db:
        presence = await db.scalar(select(Presence).where(Presence.checked_out_at.is_(None)))
        assert presence is not None
        institution_id = presence.institution_id
        await db.execute(
            update(Presence)
            .where(Presence.id == presence.id)
            .values(checked_in_at=datetime(2030, 1, 7, 7, 0, tzinfo=UTC))
        )
        await db.commit()
    async with runtime.sessions() as db:
        closed = await close_forgotten_checkouts(
            db=db, institution_id=institution_id, now=clock.now()
        )
    assert closed == 1
    async with admin_session(runtime) as db:
        row = await db.get(Presence, presence.id)
        assert row is not None and row.checkout_estimated
        ended = row.checked_out_at.astimezone(COPENHAGEN)
    assert (ended.date().isoformat(), ended.hour, ended.minute) == (day(0), 12, 0)
    assert ended - datetime(2030, 1, 7, 8, 0, tzinfo=COPENHAGEN) == timedelta(hours=4)


async def test_a_vacation_answer_after_the_closing_time_is_refused(client, plan_clock):
    f = await family(client)
    await _close(client, f["institution"], day(15), "12:00")
    opened = await client.gql(
        "OpenVacationSurvey",
        {
            "input": {
                "institutionId": f["institution"],
                "title": "Vinterferie",
                "firstDay": day(14),
                "lastDay": day(16),
                "deadline": day(7),
            }
        },
        as_=SOLSIKKEN_ADMIN,
    )
    survey = opened["openVacationSurvey"]["id"]

    async def answer(pickup: str) -> dict:
        data = await client.gql(
            "AnswerVacationSurvey",
            {
                "surveyId": survey,
                "childId": f["liva"],
                "days": [{"day": day(15), "coming": True, "pickup": pickup}],
            },
            as_=METTE,
        )
        result: dict = data["answerVacationSurvey"]
        return result

    late = await answer("15:00")
    assert (late["code"], late["field"]) == ("OUTSIDE_OPENING_HOURS", "pickup")
    assert "answers" in await answer("11:45")


async def test_todays_cut_off_counts_from_the_early_closing_time(client, plan_clock):
    f = await family(client)
    await _close(client, f["institution"], day(0), "12:00")
    plan_clock.at_local(10, 30)  # before 12:00 less the hour's cut-off: may still change
    made = await set_plan(client, f["liva"], day=day(0), leaveMode="GUARDIAN")
    assert made["__typename"] == "PickupPlanEntry", made
    plan_clock.at_local(11, 30)  # past it, though 17:00 less an hour is far off
    late = await set_plan(client, f["liva"], day=day(0), leaveMode="GUARDIAN", note="x")
    assert (late["code"], late["field"]) == ("AFTER_CUTOFF", "day")
