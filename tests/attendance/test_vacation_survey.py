"""Vacation surveys: admins open, guardians answer per child and day until the deadline,
staff count per day and group; "not coming" is vacation in the plan."""

from __future__ import annotations

from tests.attendance.plan_helpers import (
    JONAS,
    LARS,
    METTE,
    PERNILLE,
    REGNBUEN_ADMIN,
    day,
    family,
    plan,
)
from tests.helpers import SOLSIKKEN_ADMIN

SUMMER = {"title": "Vinterferie: uge 4-5, svar senest 14. januar", "firstDay": day(14), "lastDay": day(25), "deadline": day(7)}


async def _open(client, f, **changes):
    data = await client.gql("OpenVacationSurvey", {"input": {"institutionId": f["institution"], **SUMMER, **changes}}, as_=SOLSIKKEN_ADMIN)
    return data["openVacationSurvey"]


async def _answer(client, survey, child, days, as_=METTE):
    data = await client.gql("AnswerVacationSurvey", {"surveyId": survey, "childId": child, "days": days}, as_=as_)
    return data["answerVacationSurvey"]


async def _survey(client, survey, child, as_, group=None):
    data = await client.gql("VacationSurvey", {"id": survey, "childId": child, "groupId": group}, as_=as_)
    return data["node"]


async def test_admins_open_surveys_with_a_deadline_before_the_period(client, plan_clock):
    f = await family(client)
    cases = [
        ({"title": " "}, "INVALID", "title"),
        ({"lastDay": day(13)}, "INVALID", "lastDay"),
        ({"deadline": day(14)}, "INVALID", "deadline"),
        ({"deadline": day(-1)}, "DAY_IN_PAST", "deadline"),
        ({"lastDay": day(120)}, "INVALID", "lastDay"),
    ]
    for changes, code, field in cases:
        result = await _open(client, f, **changes)
        assert (result["code"], result["field"]) == (code, field), changes
    for outsider in (PERNILLE, METTE, REGNBUEN_ADMIN, LARS):
        denied = await client.gql("OpenVacationSurvey", {"input": {"institutionId": f["institution"], **SUMMER}}, as_=outsider)
        assert denied["openVacationSurvey"]["code"] == "NOT_FOUND", outsider
    assert (await client.gql("VacationSurveys", {"institutionId": f["institution"]}, as_=METTE))["vacationSurveys"] == []
    made = await _open(client, f)
    assert made["__typename"] == "VacationSurvey" and made["isOpen"] is True
    for insider in (METTE, JONAS, PERNILLE):
        listed = (await client.gql("VacationSurveys", {"institutionId": f["institution"]}, as_=insider))["vacationSurveys"]
        assert [s["id"] for s in listed] == [made["id"]]
    for outsider in (REGNBUEN_ADMIN, LARS):
        assert (await client.gql("VacationSurveys", {"institutionId": f["institution"]}, as_=outsider))["vacationSurveys"] == []
        assert await _survey(client, made["id"], f["liva"], outsider) is None
        removed = await client.gql("RemoveVacationSurvey", {"surveyId": made["id"]}, as_=outsider)
        assert removed["removeVacationSurvey"]["code"] == "NOT_FOUND"
    assert (await client.gql("RemoveVacationSurvey", {"surveyId": made["id"]}, as_=PERNILLE))["removeVacationSurvey"]["code"] == "NOT_FOUND"
    removed = await client.gql("RemoveVacationSurvey", {"surveyId": made["id"]}, as_=SOLSIKKEN_ADMIN)
    assert removed["removeVacationSurvey"]["__typename"] == "AttendanceDone"


async def test_guardians_answer_per_day_until_the_deadline(client, plan_clock):
    f = await family(client)
    survey = (await _open(client, f))["id"]
    answered = await _answer(client, survey, f["liva"], [
        {"day": day(14), "coming": True, "arrival": "08:00", "pickup": "15:00"},
        {"day": day(15), "coming": False},
        {"day": day(16), "coming": False, "arrival": "08:00"},
    ])
    assert answered["answers"] == [
        {"day": day(14), "coming": True, "arrival": "08:00:00", "pickup": "15:00:00"},
        {"day": day(15), "coming": False, "arrival": None, "pickup": None},
        {"day": day(16), "coming": False, "arrival": None, "pickup": None},
    ]
    changed = await _answer(client, survey, f["liva"], [{"day": day(15), "coming": True}])
    assert [a["coming"] for a in changed["answers"]] == [True, True, False]
    bad = [
        ([{"day": day(13), "coming": True}], "INVALID", "days"),
        ([{"day": day(19), "coming": True}], "DAY_CLOSED", "days"),
        ([{"day": day(14), "coming": True}, {"day": day(14), "coming": False}], "INVALID", "days"),
        ([{"day": day(17), "coming": True, "arrival": "05:00"}], "OUTSIDE_OPENING_HOURS", "arrival"),
        ([{"day": day(18), "coming": True, "pickup": "16:30"}], "OUTSIDE_OPENING_HOURS", "pickup"),
        ([{"day": day(17), "coming": True, "arrival": "15:00", "pickup": "08:00"}], "INVALID", "pickup"),
        ([], "INVALID", "days"),
    ]
    for days, code, field in bad:
        result = await _answer(client, survey, f["liva"], days)
        assert (result["code"], result["field"]) == (code, field), days
    for outsider in (JONAS, f["friend_parent"], REGNBUEN_ADMIN, LARS):
        denied = await _answer(client, survey, f["liva"], [{"day": day(17), "coming": False}], as_=outsider)
        assert denied["code"] == "NOT_FOUND", outsider
    seen = await _survey(client, survey, f["liva"], JONAS)
    assert [a["day"] for a in seen["answers"]] == [day(14), day(15), day(16)] and seen["summary"] is None
    assert (await _survey(client, survey, f["liva"], f["friend_parent"]))["answers"] == []
    # "Not coming" is vacation in the plan; "coming" with times gives the times.
    days = {d["day"]: d for d in await plan(client, f["liva"], day(14), day(16))}
    assert (days[day(14)]["source"], days[day(14)]["coming"], days[day(14)]["pickup"]) == ("SURVEY", True, "15:00:00")
    assert (days[day(16)]["source"], days[day(16)]["coming"]) == ("SURVEY", False)
    # After the deadline guardians are refused; staff may still record an answer for them.
    plan_clock.at_local(9, offset_days=8)
    late = await _answer(client, survey, f["liva"], [{"day": day(17), "coming": False}])
    assert late["code"] == "AFTER_DEADLINE"
    assert (await _survey(client, survey, f["liva"], METTE))["isOpen"] is False
    staff = await _answer(client, survey, f["liva"], [{"day": day(17), "coming": False}], as_=PERNILLE)
    assert len(staff["answers"]) == 4


async def test_staff_see_per_day_and_group_who_comes_in_bounded_statements(client, plan_clock, assert_max_queries):
    f = await family(client)
    survey = (await _open(client, f))["id"]
    await _answer(client, survey, f["liva"], [{"day": day(14), "coming": True}, {"day": day(15), "coming": False}])
    await _answer(client, survey, f["friend"], [{"day": day(14), "coming": False}], as_=PERNILLE)
    await client.token_for(PERNILLE)
    counts = []
    for group in (f["bears_group"], None):
        with assert_max_queries(16) as counter:
            node = await _survey(client, survey, f["liva"], PERNILLE, group)
        counts.append(counter.count)
        summary = node["summary"]
        open_days = sorted({d["day"] for d in summary["days"]})
        assert open_days == [day(n) for n in (14, 15, 16, 17, 18, 21, 22, 23, 24, 25)]
    assert counts[0] == counts[1]
    bears = {d["day"]: d for d in summary["days"] if d["group"]["id"] == f["bears_group"]}
    assert (bears[day(14)]["coming"], bears[day(14)]["notComing"], bears[day(14)]["unanswered"]) == (1, 1, 10)
    assert (bears[day(15)]["coming"], bears[day(15)]["notComing"], bears[day(15)]["unanswered"]) == (0, 1, 11)
    assert len({d["group"]["id"] for d in summary["days"]}) == 3
    not_answered = {c["id"] for c in summary["notAnswered"]}
    assert f["liva"] not in not_answered and f["friend"] not in not_answered and len(not_answered) == 34
    assert (await _survey(client, survey, f["liva"], METTE))["summary"] is None
