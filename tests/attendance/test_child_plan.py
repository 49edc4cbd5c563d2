"""The guardian's plan for the coming days (childPlan): each day's status and how the child
leaves, read in the same statements for three days as for thirty-one."""

from __future__ import annotations

from tests.attendance.plan_helpers import (
    JONAS,
    METTE,
    PERNILLE,
    REGNBUEN_ADMIN,
    add_pickup_person,
    day,
    family,
    set_plan,
)


async def child_plan(client, child: str, days: int, as_: str = METTE) -> list[dict]:
    data = await client.gql("ChildPlan", {"childId": child, "start": day(0), "days": days}, as_=as_)
    rows: list[dict] = data["childPlan"]
    return rows


async def _plan_a_fortnight(client, f: dict) -> None:
    """Weekly default with grandma, a Tuesday with Jonas, a Wednesday home with a friend, a
    Thursday home alone, and a sick week later on."""
    grandma = await add_pickup_person(client, f["liva"])
    for weekday in ("MON", "TUE", "WED", "THU", "FRI"):
        await set_plan(
            client,
            f["liva"],
            weekday=weekday,
            leaveMode="PICKUP_PERSON",
            arrival="08:00",
            pickup="14:00",
            pickupPersonId=grandma,
        )
    await set_plan(
        client,
        f["liva"],
        day=day(1),
        leaveMode="GUARDIAN",
        pickup="15:00",
        guardianLinkId=f["liva_links"][JONAS],
        note="Far henter",
    )
    await set_plan(
        client,
        f["liva"],
        day=day(2),
        leaveMode="WITH_CHILD",
        pickup="15:30",
        companionChildId=f["friend"],
    )
    allowed = await client.gql("SetGoHomeAlone", {"childId": f["liva"], "allowed": True}, as_=METTE)
    assert allowed["setGoHomeAlone"]["allowed"] is True
    await set_plan(
        client, f["liva"], day=day(3), leaveMode="ALONE", pickup="14:00", aloneUntil="15:00"
    )
    sick = await client.gql(
        "RegisterAbsence",
        {"childId": f["liva"], "kind": "VACATION", "fromDay": day(14), "untilDay": day(18)},
        as_=METTE,
    )
    assert sick["registerAbsence"]["__typename"] == "Absence", sick


async def test_the_coming_days_show_status_and_how_the_child_leaves(client, plan_clock):
    f = await family(client)
    await _plan_a_fortnight(client, f)
    days = await child_plan(client, f["liva"], 21)
    assert [d["day"] for d in days] == [day(n) for n in range(21)]
    by_day = {d["day"]: d for d in days}
    monday = by_day[day(0)]
    assert monday["status"] == "EXPECTED"
    assert monday["plan"] == {
        "expected": True,
        "arrivesAt": "08:00:00",
        "pickedUpAt": "14:00:00",
        "pickupPerson": "Inge Holm",
        "leaveMode": "PICKUP_PERSON",
        "aloneUntil": None,
        "companionName": None,
        "companionStatus": None,
    }
    tuesday = by_day[day(1)]
    assert (tuesday["plan"]["leaveMode"], tuesday["plan"]["pickupPerson"]) == (
        "GUARDIAN",
        "Jonas Jensen",
    )
    assert tuesday["note"] == "Far henter"
    wednesday = by_day[day(2)]["plan"]
    assert (wednesday["leaveMode"], wednesday["companionStatus"]) == ("WITH_CHILD", "PENDING")
    # The friend is another family's child: Liva's mother sees its first name.
    assert wednesday["companionName"] and " " not in wednesday["companionName"]
    thursday = by_day[day(3)]["plan"]
    assert (thursday["leaveMode"], thursday["pickedUpAt"], thursday["aloneUntil"]) == (
        "ALONE",
        "14:00:00",
        "15:00:00",
    )
    # The weekend: closed, nothing expected; the vacation week: absent.
    assert by_day[day(5)]["status"] == "NOT_EXPECTED" and not by_day[day(5)]["plan"]["expected"]
    assert [by_day[day(n)]["status"] for n in range(14, 19)] == ["ABSENT"] * 5
    assert by_day[day(14)]["absence"]["kind"] == "VACATION"
    # Staff see the same days, the companion with its full name; strangers nothing.
    staff = await child_plan(client, f["liva"], 3, as_=PERNILLE)
    assert " " in staff[2]["plan"]["companionName"]
    stranger = await client.execute(
        "ChildPlan", {"childId": f["liva"], "start": day(0), "days": 3}, as_=REGNBUEN_ADMIN
    )
    assert stranger["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_three_days_and_thirty_one_cost_the_same_statements(
    client, plan_clock, assert_max_queries
):
    f = await family(client)
    await _plan_a_fortnight(client, f)
    await child_plan(client, f["liva"], 1)  # the actor's login is cached
    counts = []
    for days in (3, 31):
        with assert_max_queries(13) as counter:  # PostgreSQL adds the scope statements
            rows = await child_plan(client, f["liva"], days)
        counts.append(counter.count)
        assert len(rows) == days
    assert counts[0] == counts[1]
    too_many = await client.execute(
        "ChildPlan", {"childId": f["liva"], "start": day(0), "days": 32}, as_=METTE
    )
    assert too_many["errors"][0]["extensions"]["field"] == "days"
