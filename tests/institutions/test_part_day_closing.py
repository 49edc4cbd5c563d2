"""Part-day closing (issue 16): an institution closes from a time of day on (Grundlovsdag
afternoon, 12:00). The calendar shows it; the day stays an open day for plans and reports,
but a pickup after the closing time is refused and the nightly close estimates a forgotten
check-out at the closing time. The plan of such a day ends there too: a pickup planned later
(a weekly default, or a date's plan made before the closing) is at the closing time, and the
tablet's and the guardian's day views say when the day closes (`closesAt`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from app.attendance.presence.models import Presence
from app.attendance.presence.service.nightly import close_forgotten_checkouts
from app.attendance.service import clock
from tests.attendance.day_view_helpers import local
from tests.attendance.plan_helpers import METTE, PERNILLE, day, family, plan, set_plan
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

    # Closing at or before it opens is refused: the admin closes the whole day instead, and the
    # day stays as it was.
    for too_early in ("06:00", "06:30"):
        refused = (
            await client.gql(
                "CloseDays",
                {
                    "institutionId": f["institution"],
                    "from": day(3),
                    "to": day(3),
                    "label": "x",
                    "closesAt": too_early,
                },
                as_=SOLSIKKEN_ADMIN,
            )
        )["closeDays"]
        assert (refused["code"], refused["field"]) == ("INVALID", "closesAt"), refused
        assert refused["reason"] == "CLOSES_BEFORE_OPENING"
        assert "luk hele dagen" in refused["message"], refused
    kept = await set_plan(client, f["liva"], day=day(3), leaveMode="GUARDIAN", pickup="15:00")
    assert kept["__typename"] == "PickupPlanEntry", kept


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


# --- the plan on a day that closes early: its times of leaving end at the closing -----------


async def _group_day(client, group: str, on: str | None = None) -> dict:
    """The group's day on the tablet (today when `on` is left out)."""
    variables = {"groupId": group} if on is None else {"groupId": group, "day": on}
    data = await client.gql("GroupDay", variables, as_=PERNILLE)
    shown: dict = data["groupDay"]
    return shown


def _row_of(group_day: dict, child: str) -> dict:
    row: dict = next(r for r in group_day["children"] if r["child"]["id"] == child)
    return row


async def test_a_weekly_pickup_after_the_early_closing_ends_at_the_closing(client, plan_clock):
    f = await family(client)
    weekly = await set_plan(client, f["liva"], weekday="WED", leaveMode="GUARDIAN", pickup="15:00")
    assert weekly["__typename"] == "PickupPlanEntry", weekly
    await _close(client, f["institution"], day(2), "12:00", "Grundlovsdag eftermiddag")
    days = {d["day"]: d for d in await plan(client, f["liva"], day(2), day(9))}
    wednesday, next_wednesday = days[day(2)], days[day(9)]
    assert (wednesday["source"], wednesday["pickup"], wednesday["closesAt"]) == (
        "WEEKLY",
        "12:00:00",
        "12:00:00",
    )
    assert wednesday["entry"]["pickup"] == "15:00:00"  # the weekly default itself is kept
    assert (next_wednesday["pickup"], next_wednesday["closesAt"]) == ("15:00:00", None)
    # The tablet: the day closes early, and Liva is picked up at the closing.
    closing = await _group_day(client, f["bears_group"], day(2))
    assert closing["closesAt"] == "12:00:00"
    assert _row_of(closing, f["liva"])["plan"]["pickedUpAt"] == "12:00:00"
    ordinary = await _group_day(client, f["bears_group"], day(9))
    assert ordinary["closesAt"] is None
    assert _row_of(ordinary, f["liva"])["plan"]["pickedUpAt"] == "15:00:00"
    # The guardian's coming days say so too.
    coming = await client.gql(
        "ChildPlan", {"childId": f["liva"], "start": day(1), "days": 2}, as_=METTE
    )
    assert [(d["day"], d["closesAt"], d["plan"]["pickedUpAt"]) for d in coming["childPlan"]] == [
        (day(1), None, None),
        (day(2), "12:00:00", "12:00:00"),
    ]


async def test_a_plan_made_before_the_day_closed_early_ends_at_the_closing(client, plan_clock):
    f = await family(client)
    made = await set_plan(
        client, f["liva"], day=day(3), leaveMode="GUARDIAN", arrival="08:00", pickup="15:00"
    )
    assert made["__typename"] == "PickupPlanEntry", made
    await _close(client, f["institution"], day(3), "12:00")
    (thursday,) = await plan(client, f["liva"], day(3), day(3))
    assert (
        thursday["source"],
        thursday["arrival"],
        thursday["pickup"],
        thursday["closesAt"],
    ) == ("OVERRIDE", "08:00:00", "12:00:00", "12:00:00")
    # An earlier pickup stays as it is.
    await _close(client, f["institution"], day(3), "16:00")
    (later,) = await plan(client, f["liva"], day(3), day(3))
    assert (later["pickup"], later["closesAt"]) == ("15:00:00", "16:00:00")


async def test_today_closing_early_the_tablet_sees_who_is_still_here_past_it(client, plan_clock):
    """Liva may go home alone until 14:45 on Mondays; today the institution closes at 12:00:
    her window ends there, and past it the tablet flags her as overdue."""
    f = await family(client)
    allowed = await client.gql("SetGoHomeAlone", {"childId": f["liva"], "allowed": True}, as_=METTE)
    assert allowed["setGoHomeAlone"]["allowed"] is True, allowed
    weekly = await set_plan(
        client, f["liva"], weekday="MON", leaveMode="ALONE", pickup="11:00", aloneUntil="14:45"
    )
    assert weekly["__typename"] == "PickupPlanEntry", weekly
    await _close(client, f["institution"], day(0), "12:00")
    came = await check_in(client, f["liva"], at=local(8, 0))
    assert came["__typename"] == "PresenceChanged", came
    plan_clock.at_local(11, 30)
    today = await _group_day(client, f["bears_group"])
    assert today["closesAt"] == "12:00:00"
    before = _row_of(today, f["liva"])
    assert (before["plan"]["pickedUpAt"], before["plan"]["aloneUntil"]) == ("11:00:00", "12:00:00")
    assert before["flags"]["overdue"] is False
    plan_clock.at_local(12, 15)  # past the closing, though her window says 14:45
    assert _row_of(await _group_day(client, f["bears_group"]), f["liva"])["flags"]["overdue"]
    mine = await client.gql("MyChildrenToday", as_=METTE)
    liva_today = next(d for d in mine["myChildrenToday"] if d["child"]["id"] == f["liva"])
    assert (liva_today["closesAt"], liva_today["plan"]["aloneUntil"]) == ("12:00:00", "12:00:00")
    assert liva_today["flags"]["overdue"] is True


async def test_the_cut_off_counts_from_a_weekly_pickup_clipped_to_the_closing(client, plan_clock):
    f = await family(client)
    made = await set_plan(client, f["liva"], weekday="MON", leaveMode="GUARDIAN", pickup="15:00")
    assert made["__typename"] == "PickupPlanEntry", made
    await _close(client, f["institution"], day(0), "12:00")
    plan_clock.at_local(11, 30)  # 15:00 less the hour is far off, but today ends at 12:00
    late = await set_plan(
        client, f["liva"], weekday="MON", leaveMode="GUARDIAN", pickup="15:00", note="x"
    )
    assert (late["code"], late["field"]) == ("AFTER_CUTOFF", "day")


async def test_a_public_holiday_kept_closed_closes_the_whole_day(client, plan_clock):
    """An early closing on a public holiday counts only once the holiday is kept open."""
    f = await family(client)
    easter_monday = day(105)
    assert date.fromisoformat(easter_monday) == date(2030, 4, 22)
    await _close(client, f["institution"], easter_monday, "12:00")
    assert (await _group_day(client, f["bears_group"], easter_monday))["closesAt"] is None
    kept = await client.gql(
        "KeepPublicHolidayOpen",
        {"institutionId": f["institution"], "day": easter_monday, "open": True},
        as_=SOLSIKKEN_ADMIN,
    )
    assert kept["keepPublicHolidayOpen"]["__typename"] == "CalendarDays", kept
    assert (await _group_day(client, f["bears_group"], easter_monday))["closesAt"] == "12:00:00"
