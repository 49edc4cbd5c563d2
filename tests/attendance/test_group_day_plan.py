"""The group's day on the tablet with the pickup plan, at a fixed time: the flags for a child
not here by its expected time and one still here past its pickup, how each child leaves, and
statements that grow neither with the children nor with their plans."""

from __future__ import annotations

from typing import Any

from tests.attendance.day_view_helpers import bears, custody_guardian, group_day, local
from tests.attendance.plan_helpers import (
    JONAS,
    METTE,
    PERNILLE,
    add_pickup_person,
    day,
    family,
    set_plan,
)
from tests.attendance.presence_support import check_in, check_out


def flags(row: dict[str, Any]) -> tuple[str, bool, bool]:
    return row["status"], row["flags"]["notArrived"], row["flags"]["overdue"]


async def test_a_child_not_here_by_its_expected_time_is_flagged(client, plan_clock):
    f = await family(client)
    await set_plan(
        client, f["liva"], day=day(0), leaveMode="GUARDIAN", arrival="08:00", pickup="15:00"
    )
    await set_plan(
        client,
        f["friend"],
        as_=PERNILLE,
        day=day(0),
        leaveMode="GUARDIAN",
        arrival="10:00",
        pickup="16:00",
    )
    await set_plan(client, f["liva"], day=day(1), leaveMode="GUARDIAN", arrival="08:00")
    unplanned = next(c for c in f["bears"] if c not in (f["liva"], f["friend"]))
    # 09:00: Liva was expected at 08:00, the friend not before 10:00, the third has no time.
    rows = await group_day(client, f["bears_group"])
    assert flags(rows[f["liva"]]) == ("EXPECTED", True, False)
    assert flags(rows[f["friend"]]) == ("EXPECTED", False, False)
    assert flags(rows[unplanned]) == ("EXPECTED", False, False)
    # Tomorrow is not late yet, whatever the time today.
    tomorrow = await group_day(client, f["bears_group"], offset_days=1)
    assert flags(tomorrow[f["liva"]]) == ("EXPECTED", False, False)
    # Checked in: no longer flagged. An hour later the friend is late in turn.
    plan_clock.at_local(9, 10)
    came = await check_in(client, f["liva"], at=local(9, 5))
    assert came["__typename"] == "PresenceChanged", came
    plan_clock.at_local(10, 30)
    rows = await group_day(client, f["bears_group"])
    assert flags(rows[f["liva"]]) == ("PRESENT", False, False)
    assert flags(rows[f["friend"]]) == ("EXPECTED", True, False)
    # A child reported sick is absent, not late.
    sick = await client.gql(
        "RegisterAbsence",
        {"childId": f["friend"], "kind": "SICK", "fromDay": day(0), "note": "Feber"},
        as_=PERNILLE,
    )
    assert sick["registerAbsence"]["__typename"] == "Absence", sick
    rows = await group_day(client, f["bears_group"])
    assert flags(rows[f["friend"]]) == ("ABSENT", False, False)


async def test_a_child_still_here_past_its_pickup_time_is_flagged(client, plan_clock):
    f = await family(client)
    await set_plan(
        client,
        f["liva"],
        day=day(0),
        leaveMode="GUARDIAN",
        arrival="08:00",
        pickup="15:00",
        guardianLinkId=f["liva_links"][JONAS],
    )
    # The friend goes home alone between 14:00 and 15:30: late only after its window.
    allowed = await client.gql(
        "SetGoHomeAlone", {"childId": f["friend"], "allowed": True}, as_=f["friend_parent"]
    )
    assert allowed["setGoHomeAlone"]["allowed"] is True, allowed
    alone = await set_plan(
        client,
        f["friend"],
        as_=PERNILLE,
        day=day(0),
        leaveMode="ALONE",
        pickup="14:00",
        aloneUntil="15:30",
    )
    assert alone["__typename"] == "PickupPlanEntry", alone
    for child in (f["liva"], f["friend"]):
        assert (await check_in(client, child, at=local(8, 30)))["__typename"] == "PresenceChanged"
    plan_clock.at_local(14, 59)
    rows = await group_day(client, f["bears_group"])
    assert flags(rows[f["liva"]]) == ("PRESENT", False, False)
    assert flags(rows[f["friend"]]) == ("PRESENT", False, False)
    plan_clock.at_local(15, 10)
    rows = await group_day(client, f["bears_group"])
    assert flags(rows[f["liva"]]) == ("PRESENT", False, True)
    assert flags(rows[f["friend"]]) == ("PRESENT", False, False)
    plan_clock.at_local(15, 40)
    rows = await group_day(client, f["bears_group"])
    assert flags(rows[f["friend"]]) == ("PRESENT", False, True)
    # Fetched (by the planned person): neither overdue nor an unplanned pickup.
    went = await check_out(
        client,
        f["liva"],
        at=local(15, 35),
        picked_up_by={"guardianLinkId": f["liva_links"][JONAS]},
    )
    assert went["__typename"] == "PresenceChanged", went
    row = (await group_day(client, f["bears_group"]))[f["liva"]]
    assert flags(row) == ("PICKED_UP", False, False)
    assert row["flags"]["unplannedPickup"] is False


async def _plan_every_way(client: Any, children: list[dict[str, Any]]) -> dict[str, str]:
    """One child per way of leaving (five children): returns the mode by child ID."""
    alone, person, guardian, companion, sent = children
    allowed = await client.gql(
        "SetGoHomeAlone",
        {"childId": alone["id"], "allowed": True},
        as_=custody_guardian(alone)["email"],
    )
    assert allowed["setGoHomeAlone"]["allowed"] is True, allowed
    await set_plan(
        client,
        alone["id"],
        as_=PERNILLE,
        day=day(0),
        leaveMode="ALONE",
        pickup="14:00",
        aloneUntil="14:45",
    )
    added = await client.gql(
        "AddPickupPerson",
        {
            "childId": person["id"],
            "input": {"name": f"Moster af {person['name']}", "relation": "moster"},
        },
        as_=custody_guardian(person)["email"],
    )
    await set_plan(
        client,
        person["id"],
        as_=PERNILLE,
        weekday="MON",
        leaveMode="PICKUP_PERSON",
        pickup="15:00",
        pickupPersonId=added["addPickupPerson"]["id"],
    )
    await set_plan(
        client,
        guardian["id"],
        as_=PERNILLE,
        day=day(0),
        leaveMode="GUARDIAN",
        pickup="16:00",
        guardianLinkId=custody_guardian(guardian)["id"],
    )
    await set_plan(
        client,
        companion["id"],
        as_=PERNILLE,
        day=day(0),
        leaveMode="WITH_CHILD",
        pickup="15:30",
        companionChildId=person["id"],
    )
    home = await client.gql(
        "SendChildHome", {"childId": sent["id"], "reason": "Feber"}, as_=PERNILLE
    )
    assert home["sendChildHome"]["leaveMode"] == "SENT_HOME", home
    return {
        alone["id"]: "ALONE",
        person["id"]: "PICKUP_PERSON",
        guardian["id"]: "GUARDIAN",
        companion["id"]: "WITH_CHILD",
        sent["id"]: "SENT_HOME",
    }


async def test_group_day_shows_how_each_child_leaves(client, plan_clock):
    children = await bears(client)
    f = await family(client)
    liva, person, guardian, companion, sent = children[:5]
    await add_pickup_person(client, liva["id"])  # named by nobody's plan: not shown
    await _plan_every_way(client, children[:5])
    rows = await group_day(client, f["bears_group"])
    plans = {child_id: row["plan"] for child_id, row in rows.items()}
    assert plans[liva["id"]] == {
        "expected": True,
        "arrivesAt": None,
        "pickedUpAt": "14:00:00",
        "pickupPerson": None,
        "leaveMode": "ALONE",
        "aloneUntil": "14:45:00",
        "companionName": None,
        "companionStatus": None,
    }
    assert (plans[person["id"]]["leaveMode"], plans[person["id"]]["pickupPerson"]) == (
        "PICKUP_PERSON",
        f"Moster af {person['name']}",
    )
    assert (plans[guardian["id"]]["leaveMode"], plans[guardian["id"]]["pickupPerson"]) == (
        "GUARDIAN",
        custody_guardian(guardian)["name"],
    )
    going = plans[companion["id"]]
    assert (going["leaveMode"], going["companionName"], going["companionStatus"]) == (
        "WITH_CHILD",
        person["name"],
        "PENDING",
    )
    assert going["pickupPerson"] is None and going["aloneUntil"] is None
    assert plans[sent["id"]]["leaveMode"] == "SENT_HOME"
    assert rows[sent["id"]]["note"] == "Feber"
    # Nothing planned: no way of leaving either.
    others = [c["id"] for c in children[5:]]
    assert {plans[c]["leaveMode"] for c in others} == {None}
    # The other child's guardian accepts: the tablet shows it.
    request = (await client.gql("PickupCompanionRequests", as_=custody_guardian(person)["email"]))[
        "pickupCompanionRequests"
    ]
    answered = await client.gql(
        "AnswerPickupCompanion",
        {"entryId": request[0]["id"], "accept": True},
        as_=custody_guardian(person)["email"],
    )
    assert answered["answerPickupCompanion"]["companionStatus"] == "ACCEPTED"
    rows = await group_day(client, f["bears_group"])
    assert rows[companion["id"]]["plan"]["companionStatus"] == "ACCEPTED"
    # Liva's mother sees the same in her today view.
    mine = (await client.gql("MyChildrenToday", as_=METTE))["myChildrenToday"]
    assert next(d for d in mine if d["child"]["id"] == liva["id"])["plan"]["leaveMode"] == "ALONE"


async def test_group_day_statements_grow_neither_with_children_nor_their_plans(
    client, plan_clock, assert_max_queries
):
    children = await bears(client)
    f = await family(client)
    for child in children:
        assert (await check_in(client, child["id"], at=local(8)))["__typename"] == (
            "PresenceChanged"
        )
    await group_day(client, f["bears_group"])  # the actor's login is cached
    counts = []
    for planned in (children[:5], children[5:10]):
        await _plan_every_way(client, planned)
        with assert_max_queries(10) as counter:  # as test_group_day's bound
            rows = await group_day(client, f["bears_group"])
        counts.append(counter.count)
        assert all(rows[c["id"]]["plan"]["leaveMode"] for c in planned)
    assert counts[0] == counts[1]
