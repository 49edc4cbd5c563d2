"""The group's day on the tablet, the guardian's today/plan/history and the admins' report."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.attendance.presence_support import (
    FATHER,
    MOTHER,
    STAFF,
    ago,
    check_in,
    check_out,
    guardian_link,
    liva,
    now,
)
from tests.conftest import is_postgres
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, group_id, institution_id, overview

# Check-ins "30 minutes ago" and "today" on a fixed weekday morning, never across midnight.
pytestmark = pytest.mark.usefixtures("plan_clock")


def today() -> str:
    return now().astimezone(ZoneInfo("Europe/Copenhagen")).date().isoformat()


async def _bjornene(client) -> list[dict]:
    node = await overview(client, SOLSIKKEN_ADMIN)
    return [
        e["node"] for e in node["children"]["edges"] if e["node"]["group"]["name"] == "Bjørnene"
    ]


async def test_group_day_shows_status_times_flags_and_counts(client):
    children = await _bjornene(client)
    child = await liva(client)
    gid = await group_id(client, SOLSIKKEN_ADMIN, "Bjørnene")
    others = [c for c in children if c["id"] != child["id"]]
    await check_in(client, child["id"], at=ago(30))
    await check_in(client, others[0]["id"], at=ago(40))
    await check_out(
        client, others[0]["id"], at=ago(5), picked_up_by={"otherName": "Nabo"}, reason="Aftalt"
    )
    sick = (
        await client.gql(
            "RegisterAbsence",
            {"childId": others[1]["id"], "kind": "SICK", "fromDay": today(), "note": "Feber"},
            as_=STAFF,
        )
    )["registerAbsence"]
    assert sick["__typename"] == "Absence"
    day = (await client.gql("GroupDay", {"groupId": gid, "day": today()}, as_=STAFF))["groupDay"]
    by_name = {c["child"]["name"]: c for c in day["children"]}
    assert len(by_name) == len(children)
    assert by_name["Liva Holm-Jensen"]["status"] == "PRESENT"
    assert by_name["Liva Holm-Jensen"]["arrivedAt"] is not None
    picked = by_name[others[0]["name"]]
    assert picked["status"] == "PICKED_UP" and picked["flags"]["unplannedPickup"] is True
    absent = by_name[others[1]["name"]]
    assert absent["status"] == "ABSENT" and absent["note"] == "Feber"
    assert absent["absence"]["kind"] == "SICK"
    counts = day["counts"]
    assert counts["present"] == 1 and counts["pickedUp"] == 1 and counts["absent"] == 1
    assert sum(counts.values()) == len(children)


async def test_group_day_statements_do_not_grow_with_children(client, assert_max_queries):
    gid = await group_id(client, SOLSIKKEN_ADMIN, "Bjørnene")
    for child in await _bjornene(client):
        await check_in(client, child["id"], at=ago(20))
    await client.gql("GroupDay", {"groupId": gid}, as_=STAFF)  # the actor's login is cached
    # PostgreSQL: the sign-in and the compiled day; SQLite: the sign-in's and the resolvers'.
    with assert_max_queries(2 if is_postgres() else 6) as few:
        await client.gql("GroupDay", {"groupId": gid, "day": today()}, as_=STAFF)
    frogs = await group_id(client, SOLSIKKEN_ADMIN, "Frøerne")
    with assert_max_queries(few.count) as other:
        await client.gql("GroupDay", {"groupId": frogs, "day": today()}, as_=SOLSIKKEN_ADMIN)
    assert other.count <= few.count


async def test_group_day_is_for_the_institutions_staff_only(client):
    gid = await group_id(client, SOLSIKKEN_ADMIN, "Bjørnene")
    for actor in (REGNBUEN_ADMIN, "lars@regnbuen.example", MOTHER, FATHER):
        assert (await client.gql("GroupDay", {"groupId": gid}, as_=actor))["groupDay"] is None


async def test_guardian_today_plan_and_history(client):
    child = await liva(client)
    await check_in(client, child["id"], at=ago(30))
    mine = (await client.gql("MyChildrenToday", as_=MOTHER))["myChildrenToday"]
    names = {c["child"]["name"]: c for c in mine}
    assert set(names) == {"Liva Holm-Jensen", "Oscar Holm-Jensen"}
    assert names["Liva Holm-Jensen"]["status"] == "PRESENT"
    assert names["Liva Holm-Jensen"]["child"]["institution"]["name"] == "Solsikken"
    assert names["Oscar Holm-Jensen"]["child"]["institution"]["name"] == "Regnbuen"
    await check_out(client, child["id"], picked_up_by={"guardianLinkId": guardian_link(child)})
    jonas = (await client.gql("MyChildrenToday", as_=FATHER))["myChildrenToday"]
    assert [c["status"] for c in jonas] == ["PICKED_UP"]
    start = (now() - timedelta(days=2)).date().isoformat()
    history = (
        await client.gql(
            "PresenceHistory", {"childId": child["id"], "start": start, "end": today()}, as_=MOTHER
        )
    )["presenceHistory"]
    assert len(history) == 1 and history[0]["pickedUpBy"]["kind"] == "GUARDIAN"
    stranger = await client.execute(
        "PresenceHistory",
        {"childId": child["id"], "start": start, "end": today()},
        as_=REGNBUEN_ADMIN,
    )
    assert stranger["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    plan = (
        await client.gql(
            "ChildPlan", {"childId": child["id"], "start": today(), "days": 7}, as_=MOTHER
        )
    )["childPlan"]
    assert len(plan) == 7
    assert {d["status"] for d in plan} <= {"EXPECTED", "NOT_EXPECTED", "ABSENT"}


async def test_admins_get_the_report_per_group_and_day(client):
    child = await liva(client)
    await check_in(client, child["id"], at=ago(90))
    await check_out(
        client, child["id"], at=ago(30), picked_up_by={"guardianLinkId": guardian_link(child)}
    )
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    rows = (
        await client.gql(
            "AttendanceReport",
            {"institutionId": iid, "start": today(), "end": today()},
            as_=SOLSIKKEN_ADMIN,
        )
    )["attendanceReport"]
    bears = next(r for r in rows if r["groupName"] == "Bjørnene")
    assert bears["present"] == 1 and 59 <= bears["minutesPresent"] <= 61
    for actor in (STAFF, REGNBUEN_ADMIN, MOTHER):
        payload = await client.execute(
            "AttendanceReport", {"institutionId": iid, "start": today(), "end": today()}, as_=actor
        )
        assert payload["errors"][0]["extensions"]["code"] == "NOT_FOUND", actor


async def test_the_report_downloads_as_csv_for_admins_only(client):
    import csv
    import io

    child = await liva(client)
    await check_in(client, child["id"], at=ago(90))
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    params = {"institution": iid, "start": today(), "end": today()}

    async def get(email: str | None, **extra):
        headers = {}
        if email:
            headers["Authorization"] = f"Bearer {await client.token_for(email)}"
        return await client.http.get(
            "/reports/attendance.csv", params={**params, **extra}, headers=headers
        )

    response = await get(SOLSIKKEN_ADMIN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    bears = next(r for r in rows if r["group"] == "Bjørnene")
    assert bears["present"] == "1" and bears["day"] == today()
    assert (await get(None)).status_code == 401
    for stranger in (REGNBUEN_ADMIN, STAFF, MOTHER):
        assert (await get(stranger)).status_code == 404, stranger
    too_long = await get(SOLSIKKEN_ADMIN, start="2020-01-01")
    assert too_long.status_code == 422 and too_long.json()["code"] == "INVALID"


async def test_group_day_shows_the_pickup_plan(client):
    from datetime import date, timedelta

    child = await liva(client)
    gid = await group_id(client, SOLSIKKEN_ADMIN, "Bjørnene")
    from app.institutions.calendar.service.days import is_public_holiday

    # The next day the institution is open: a plan for a weekend or a holiday is refused.
    next_open = date.fromisoformat(today()) + timedelta(days=1)
    while next_open.weekday() >= 5 or is_public_holiday(next_open):
        next_open += timedelta(days=1)
    tomorrow = next_open.isoformat()
    planned = (
        await client.gql(
            "SetPickupPlan",
            {
                "childId": child["id"],
                "input": {
                    "leaveMode": "GUARDIAN",
                    "day": tomorrow,
                    "arrival": "08:00:00",
                    "pickup": "15:30:00",
                    "guardianLinkId": guardian_link(child, FATHER),
                },
            },
            as_=MOTHER,
        )
    )["setPickupPlan"]
    assert planned["__typename"] == "PickupPlanEntry", planned
    day = (await client.gql("GroupDay", {"groupId": gid, "day": tomorrow}, as_=STAFF))["groupDay"]
    row = next(c for c in day["children"] if c["child"]["id"] == child["id"])
    assert row["plan"]["arrivesAt"] == "08:00:00" and row["plan"]["pickedUpAt"] == "15:30:00"
    assert row["plan"]["pickupPerson"] == "Jonas Jensen"
