"""The calendar of closed days (issue 16): Danish public holidays closed by default, the
institution's own closing days and the admin's choice per year; the pickup plan, vacation
surveys, the child's coming days and the attendance report honour them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.attendance.service import clock
from app.institutions.calendar.service.days import public_holidays
from tests.attendance.plan_helpers import METTE, PERNILLE, family
from tests.helpers import SOLSIKKEN_ADMIN

# Denmark's public holidays of 2026 and 2027 (Store bededag is gone since 2024).
HOLIDAYS_2026 = [
    "2026-01-01", "2026-04-02", "2026-04-03", "2026-04-05", "2026-04-06", "2026-05-14",
    "2026-05-24", "2026-05-25", "2026-12-25", "2026-12-26",
]  # fmt: skip
HOLIDAYS_2027 = [
    "2027-01-01", "2027-03-25", "2027-03-26", "2027-03-28", "2027-03-29", "2027-05-06",
    "2027-05-16", "2027-05-17", "2027-12-25", "2027-12-26",
]  # fmt: skip


@pytest.fixture
def december_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tuesday 1 December 2026, 09:00 in Copenhagen."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 1, 8, 0, tzinfo=UTC))


async def _closed(client, iid: str, start: str, end: str, as_: str = METTE) -> list[dict]:
    data = await client.gql(
        "CalendarClosedDays", {"institutionId": iid, "from": start, "to": end}, as_=as_
    )
    rows: list[dict] = data["closedDays"]
    return rows


def test_the_library_knows_the_danish_holidays_in_both_languages():
    both_years = public_holidays(date(2026, 1, 1), date(2027, 12, 31))
    assert sorted(d.isoformat() for d in both_years) == HOLIDAYS_2026 + HOLIDAYS_2027
    assert both_years[date(2026, 12, 25)] == "Juledag"
    english = public_holidays(date(2026, 12, 25), date(2026, 12, 25), "en")
    assert english == {date(2026, 12, 25): "Christmas Day"}
    # 24 and 31 December and Grundlovsdag are ordinary days unless the institution closes them.
    assert not public_holidays(date(2026, 12, 24), date(2026, 12, 24))
    assert not public_holidays(date(2026, 6, 5), date(2026, 6, 5))


async def test_public_holidays_are_closed_for_the_institutions_people(client):
    f = await family(client)
    iid = f["institution"]
    for who in (METTE, PERNILLE, SOLSIKKEN_ADMIN):
        rows = await _closed(client, iid, "2026-01-01", "2026-12-31", as_=who)
        assert [r["day"] for r in rows] == HOLIDAYS_2026, who
        assert {r["kind"] for r in rows} == {"PUBLIC_HOLIDAY"}
        assert all(r["closedDayId"] is None for r in rows)
    rows = await _closed(client, iid, "2027-01-01", "2027-12-31")
    assert [r["day"] for r in rows] == HOLIDAYS_2027
    assert rows[0]["label"] == "Nytårsdag"
    too_long = await client.gql(
        "CalendarClosedDays", {"institutionId": iid, "from": "2026-01-01", "to": "2027-01-01"},
        as_=METTE,
    )  # fmt: skip
    assert too_long is not None  # 366 days is the most: one more is refused below
    refused = await client.execute(
        "CalendarClosedDays",
        {"institutionId": iid, "from": "2026-01-01", "to": "2027-01-02"},
        as_=METTE,
    )
    assert refused["errors"][0]["extensions"]["field"] == "to"


async def test_admin_closes_christmas_week_and_keeps_a_holiday_open(client):
    f = await family(client)
    iid = f["institution"]
    closed = (
        await client.gql(
            "CloseDays",
            {"institutionId": iid, "from": "2026-12-27", "to": "2026-12-31", "label": "Juleluk"},
            as_=SOLSIKKEN_ADMIN,
        )
    )["closeDays"]
    assert closed["__typename"] == "CalendarDays"
    assert [(d["day"], d["kind"], d["label"]) for d in closed["days"]] == [
        (f"2026-12-{n}", "INSTITUTION", "Juleluk") for n in range(27, 32)
    ]
    # A retry sets the same state again; a new label relabels.
    again = (
        await client.gql(
            "CloseDays",
            {"institutionId": iid, "from": "2026-12-27", "to": "2026-12-31", "label": "Juleluk"},
            as_=SOLSIKKEN_ADMIN,
        )
    )["closeDays"]
    assert again == closed
    seen = await _closed(client, iid, "2026-12-20", "2027-01-02")
    assert [(r["day"], r["kind"]) for r in seen] == [
        ("2026-12-25", "PUBLIC_HOLIDAY"),
        ("2026-12-26", "PUBLIC_HOLIDAY"),
        *((f"2026-12-{n}", "INSTITUTION") for n in range(27, 32)),
        ("2027-01-01", "PUBLIC_HOLIDAY"),
    ]
    opened = (
        await client.gql(
            "KeepPublicHolidayOpen",
            {"institutionId": iid, "day": "2027-05-06", "open": True},
            as_=SOLSIKKEN_ADMIN,
        )
    )["keepPublicHolidayOpen"]
    assert opened == {"__typename": "CalendarDays", "days": []}
    assert "2027-05-06" not in [
        r["day"] for r in await _closed(client, iid, "2027-05-01", "2027-05-31")
    ]
    # Only that year: Kristi himmelfartsdag 2026 stays closed.
    assert "2026-05-14" in [
        r["day"] for r in await _closed(client, iid, "2026-05-01", "2026-05-31")
    ]
    not_a_holiday = (
        await client.gql(
            "KeepPublicHolidayOpen",
            {"institutionId": iid, "day": "2026-12-24", "open": True},
            as_=SOLSIKKEN_ADMIN,
        )
    )["keepPublicHolidayOpen"]
    assert not_a_holiday["reason"] == "NOT_A_PUBLIC_HOLIDAY"
    assert not_a_holiday["field"] == "day"
    closed_again = (
        await client.gql(
            "KeepPublicHolidayOpen",
            {"institutionId": iid, "day": "2027-05-06", "open": False},
            as_=SOLSIKKEN_ADMIN,
        )
    )["keepPublicHolidayOpen"]
    assert [d["day"] for d in closed_again["days"]] == ["2027-05-06"]
    reopened = (
        await client.gql(
            "ReopenDays",
            {"institutionId": iid, "from": "2026-12-20", "to": "2027-01-02"},
            as_=SOLSIKKEN_ADMIN,
        )
    )["reopenDays"]
    assert [d["day"] for d in reopened["days"]] == ["2026-12-25", "2026-12-26", "2027-01-01"]
    backwards = (
        await client.gql(
            "CloseDays",
            {"institutionId": iid, "from": "2026-12-31", "to": "2026-12-27"},
            as_=SOLSIKKEN_ADMIN,
        )
    )["closeDays"]
    assert backwards["field"] == "to" and backwards["reason"] == "PERIOD_ORDER"


def _weekdays(days: list[str]) -> list[str]:
    return [d for d in days if date.fromisoformat(d).weekday() < 5]


async def test_no_plan_on_a_public_holiday_of_2026_or_2027(client, december_clock):
    f = await family(client)
    iid = f["institution"]
    for holiday in ["2026-12-25", *_weekdays(HOLIDAYS_2027)]:
        refused = (
            await client.gql(
                "SetPickupPlan",
                {"childId": f["liva"], "input": {"day": holiday, "leaveMode": "GUARDIAN"}},
                as_=METTE,
            )
        )["setPickupPlan"]
        assert (refused["code"], refused["field"]) == ("DAY_CLOSED", "day"), holiday
        assert holiday in refused["message"]
    # 24 December is an open day by default (a Thursday in 2026) ...
    made = (
        await client.gql(
            "SetPickupPlan",
            {"childId": f["liva"], "input": {"day": "2026-12-24", "leaveMode": "GUARDIAN"}},
            as_=METTE,
        )
    )["setPickupPlan"]
    assert made["__typename"] == "PickupPlanEntry"
    # ... and a public holiday kept open takes a plan.
    await client.gql(
        "KeepPublicHolidayOpen",
        {"institutionId": iid, "day": "2027-03-25", "open": True},
        as_=SOLSIKKEN_ADMIN,
    )
    kept_open = (
        await client.gql(
            "SetPickupPlan",
            {"childId": f["liva"], "input": {"day": "2027-03-25", "leaveMode": "GUARDIAN"}},
            as_=METTE,
        )
    )["setPickupPlan"]
    assert kept_open["__typename"] == "PickupPlanEntry"
    # The child's coming days expect nobody on the holidays.
    days = (
        await client.gql(
            "ChildPlan", {"childId": f["liva"], "start": "2026-12-21", "days": 14}, as_=METTE
        )
    )["childPlan"]
    expected = {d["day"]: d["plan"]["expected"] for d in days}
    assert expected["2026-12-24"] is True
    assert expected["2026-12-25"] is False and expected["2027-01-01"] is False


async def test_the_report_does_not_count_holidays_as_open_days(client, december_clock):
    f = await family(client)
    iid = f["institution"]
    await client.gql(
        "KeepPublicHolidayOpen",
        {"institutionId": iid, "day": "2027-05-06", "open": True},
        as_=SOLSIKKEN_ADMIN,
    )
    for year, holidays in (("2026", HOLIDAYS_2026), ("2027", HOLIDAYS_2027)):
        start = date.fromisoformat(f"{year}-01-01")
        open_days: dict[str, bool] = {}
        while start.year == int(year):
            end = min(start + timedelta(days=92), date(int(year), 12, 31))
            rows = (
                await client.gql(
                    "AttendanceReport",
                    {"institutionId": iid, "start": start.isoformat(), "end": end.isoformat()},
                    as_=SOLSIKKEN_ADMIN,
                )
            )["attendanceReport"]
            open_days.update((r["day"], r["openDay"]) for r in rows)
            start = end + timedelta(days=1)
        closed = {day for day, is_open in open_days.items() if not is_open}
        weekdays = {d for d in open_days if date.fromisoformat(d).weekday() < 5}
        kept_open = {"2027-05-06"}
        assert weekdays - closed == weekdays - set(holidays) | (kept_open & weekdays), year
        assert set(holidays) - kept_open <= closed, year
    # Today's gaps: 24 December and 1 January were counted as open days.
    rows = (
        await client.gql(
            "AttendanceReport",
            {"institutionId": iid, "start": "2026-12-24", "end": "2027-01-01"},
            as_=SOLSIKKEN_ADMIN,
        )
    )["attendanceReport"]
    by_day = {r["day"]: r["openDay"] for r in rows}
    assert by_day["2026-12-24"] is True and by_day["2027-01-01"] is False


async def test_vacation_surveys_do_not_ask_about_closed_days(client, december_clock):
    f = await family(client)
    iid = f["institution"]
    survey = (
        await client.gql(
            "OpenVacationSurvey",
            {
                "input": {
                    "institutionId": iid,
                    "title": "Jul og nytår",
                    "firstDay": "2026-12-21",
                    "lastDay": "2027-01-04",
                    "deadline": "2026-12-10",
                }
            },
            as_=SOLSIKKEN_ADMIN,
        )
    )["openVacationSurvey"]["id"]
    refused = (
        await client.gql(
            "AnswerVacationSurvey",
            {
                "surveyId": survey,
                "childId": f["liva"],
                "days": [{"day": "2026-12-25", "coming": False}],
            },
            as_=METTE,
        )
    )["answerVacationSurvey"]
    assert refused["code"] == "DAY_CLOSED"
    node = (
        await client.gql(
            "VacationSurvey", {"id": survey, "childId": f["liva"], "groupId": None}, as_=PERNILLE
        )
    )["node"]
    asked = {d["day"] for d in node["summary"]["days"]}
    assert "2026-12-24" in asked and "2026-12-31" in asked
    assert not asked & {"2026-12-25", "2026-12-26", "2027-01-01"}


async def test_the_group_day_expects_nobody_on_a_public_holiday(client, december_clock):
    f = await family(client)
    group = f["bears_group"]

    async def counts(day: str) -> dict:
        data = await client.gql("GroupDay", {"groupId": group, "day": day}, as_=PERNILLE)
        node: dict = data["groupDay"]
        assert not any(c["flags"]["notArrived"] for c in node["children"]), day
        return dict(node["counts"])

    # Wednesday 23 December: an open day; Friday 25 December: Juledag.
    assert (await counts("2026-12-23"))["expected"] > 0
    holiday = await counts("2026-12-25")
    assert holiday["expected"] == 0 and holiday["notExpected"] > 0
    # Kept open for that year: the children are expected again.
    await client.gql(
        "KeepPublicHolidayOpen",
        {"institutionId": f["institution"], "day": "2026-12-25", "open": True},
        as_=SOLSIKKEN_ADMIN,
    )
    assert (await counts("2026-12-25"))["expected"] > 0


async def test_a_year_of_closed_days_costs_what_a_week_does(client, assert_max_queries):
    f = await family(client)
    iid = f["institution"]
    await client.gql(
        "CloseDays",
        {"institutionId": iid, "from": "2027-07-05", "to": "2027-07-23", "label": "Sommer"},
        as_=SOLSIKKEN_ADMIN,
    )
    await _closed(client, iid, "2027-01-01", "2027-01-07")  # the actor's login is cached
    counts = []
    for end in ("2027-01-07", "2027-12-31"):
        with assert_max_queries(6) as counter:  # PostgreSQL adds the scope statements
            rows = await _closed(client, iid, "2027-01-01", end)
        counts.append(counter.count)
    assert len(rows) == len(HOLIDAYS_2027) + 19
    assert counts[0] == counts[1]
