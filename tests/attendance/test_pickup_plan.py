"""The pickup plan: weekly default with date overrides, how the child leaves, the cut-off,
and every change kept with who and when."""

from __future__ import annotations

import asyncio

from tests.attendance.plan_helpers import (
    JONAS,
    LARS,
    METTE,
    PERNILLE,
    REGNBUEN_ADMIN,
    add_pickup_person,
    day,
    family,
    plan,
    raw_uuid,
    set_plan,
)
from tests.helpers import SOLSIKKEN_ADMIN


async def test_weekly_default_and_overrides_make_the_effective_plan(client, plan_clock):
    f = await family(client)
    grandma = await add_pickup_person(client, f["liva"])
    friday = await set_plan(
        client,
        f["liva"],
        weekday="FRI",
        leaveMode="PICKUP_PERSON",
        pickup="14:00",
        pickupPersonId=grandma,
        note="Mormor",
    )
    assert (
        friday["__typename"] == "PickupPlanEntry" and friday["pickupPerson"]["name"] == "Inge Holm"
    )
    wednesday = await set_plan(
        client,
        f["liva"],
        day=day(2),
        leaveMode="GUARDIAN",
        arrival="08:00",
        pickup="15:30",
        guardianLinkId=f["liva_links"][METTE],
    )
    assert wednesday["guardianName"] == "Mette Holm-Jensen"
    # Tuesday absent, Thursday closed, the weekend closed: skipped.
    await client.gql(
        "RegisterAbsence",
        {"childId": f["liva"], "kind": "VACATION", "fromDay": day(1), "untilDay": day(1)},
        as_=METTE,
    )
    await client.gql(
        "AddClosedDay", {"institutionId": f["institution"], "day": day(3)}, as_=SOLSIKKEN_ADMIN
    )
    for viewer in (METTE, JONAS, PERNILLE, SOLSIKKEN_ADMIN):
        days = await plan(client, f["liva"], day(0), day(13), as_=viewer)
        summary = [(d["day"], d["source"], d["pickup"]) for d in days]
        assert summary == [
            (day(0), "NONE", None),
            (day(2), "OVERRIDE", "15:30:00"),
            (day(4), "WEEKLY", "14:00:00"),
            (day(7), "NONE", None),
            (day(8), "NONE", None),
            (day(9), "NONE", None),
            (day(10), "NONE", None),
            (day(11), "WEEKLY", "14:00:00"),
        ], viewer
    fri = next(d for d in days if d["day"] == day(4))
    assert fri["entry"]["pickupPerson"]["name"] == "Inge Holm" and fri["entry"]["note"] == "Mormor"
    defaults = (await client.gql("PickupPlanDefaults", {"childId": f["liva"]}, as_=METTE))[
        "pickupPlanDefaults"
    ]
    assert [(d["weekday"], d["leaveMode"]) for d in defaults] == [("FRI", "PICKUP_PERSON")]
    # Clearing the override brings the default back (none for a Wednesday).
    cleared = await client.gql("ClearPickupPlan", {"entryId": wednesday["id"]}, as_=METTE)
    assert cleared["clearPickupPlan"]["__typename"] == "AttendanceDone"
    assert (await plan(client, f["liva"], day(2), day(2)))[0]["source"] == "NONE"


async def test_staff_plan_too_and_strangers_see_nothing(client, plan_clock):
    f = await family(client)
    made = await set_plan(
        client, f["liva"], as_=PERNILLE, day=day(1), leaveMode="GUARDIAN", pickup="16:00"
    )
    assert made["__typename"] == "PickupPlanEntry" and made["updatedByName"] == "Pernille Holm"
    for outsider in (REGNBUEN_ADMIN, LARS, f["friend_parent"]):
        assert await plan(client, f["liva"], day(0), day(4), as_=outsider) == []
        assert (await client.gql("Node", {"id": made["id"]}, as_=outsider))["node"] is None
        history = await client.gql(
            "PickupPlanHistory", {"childId": f["liva"], "day": day(1)}, as_=outsider
        )
        assert history["pickupPlanHistory"] == []
        denied = await set_plan(client, f["liva"], as_=outsider, day=day(1), leaveMode="GUARDIAN")
        assert denied["code"] == "NOT_FOUND", outsider
        cleared = await client.gql("ClearPickupPlan", {"entryId": made["id"]}, as_=outsider)
        assert cleared["clearPickupPlan"]["code"] == "NOT_FOUND"
    # Jonas, without custody, sees the plan but may not change it.
    assert (await client.gql("Node", {"id": made["id"]}, as_=JONAS))["node"][
        "__typename"
    ] == "PickupPlanEntry"
    denied = await set_plan(client, f["liva"], as_=JONAS, day=day(1), leaveMode="GUARDIAN")
    assert denied["code"] == "NOT_FOUND"
    assert (await client.gql("ClearPickupPlan", {"entryId": made["id"]}, as_=JONAS))[
        "clearPickupPlan"
    ]["code"] == "NOT_FOUND"


async def test_bad_input_is_a_typed_error_and_nothing_is_written(client, plan_clock):
    f = await family(client)
    oscar = next(m for m in f["me"]["institutions"] if m["institution"]["name"] == "Regnbuen")
    assert oscar  # Mette also has Oscar in Regnbuen: his pickup person is of another child.
    regnbuen_child = (
        await client.gql(
            "InstitutionOverview",
            {"id": oscar["institution"]["id"], "first": 5},
            as_=REGNBUEN_ADMIN,
        )
    )["node"]["children"]["edges"][0]["node"]["id"]
    oscar_id = next(
        e["node"]["id"]
        for e in (
            await client.gql(
                "InstitutionOverview",
                {"id": oscar["institution"]["id"], "first": 40},
                as_=REGNBUEN_ADMIN,
            )
        )["node"]["children"]["edges"]
        if e["node"]["name"] == "Oscar Holm-Jensen"
    )
    oscars_person = await add_pickup_person(client, oscar_id, name="Onkel Bo")
    expired = await add_pickup_person(
        client, f["liva"], name="Gammel Nabo", validUntil="2030-01-01"
    )
    await client.gql(
        "AddClosedDay", {"institutionId": f["institution"], "day": day(3)}, as_=SOLSIKKEN_ADMIN
    )
    cases = [
        (
            {"day": day(1), "leaveMode": "GUARDIAN", "arrival": "06:00"},
            "OUTSIDE_OPENING_HOURS",
            "arrival",
        ),
        (
            {"day": day(4), "leaveMode": "GUARDIAN", "pickup": "16:30"},
            "OUTSIDE_OPENING_HOURS",
            "pickup",
        ),
        ({"day": day(-1), "leaveMode": "GUARDIAN"}, "DAY_IN_PAST", "day"),
        ({"day": day(5), "leaveMode": "GUARDIAN"}, "DAY_CLOSED", "day"),
        ({"weekday": "SAT", "leaveMode": "GUARDIAN"}, "DAY_CLOSED", "weekday"),
        ({"day": day(3), "leaveMode": "GUARDIAN"}, "DAY_CLOSED", "day"),
        (
            {"day": day(1), "leaveMode": "GUARDIAN", "arrival": "15:00", "pickup": "09:00"},
            "INVALID",
            "pickup",
        ),
        ({"leaveMode": "GUARDIAN"}, "INVALID", "day"),
        ({"day": day(1), "weekday": "TUE", "leaveMode": "GUARDIAN"}, "INVALID", "day"),
        (
            {"day": day(1), "leaveMode": "PICKUP_PERSON", "pickupPersonId": oscars_person},
            "NOT_A_PICKUP_PERSON",
            "pickupPersonId",
        ),
        ({"day": day(1), "leaveMode": "PICKUP_PERSON"}, "NOT_A_PICKUP_PERSON", "pickupPersonId"),
        (
            {"day": day(1), "leaveMode": "PICKUP_PERSON", "pickupPersonId": expired},
            "NOT_A_PICKUP_PERSON",
            "pickupPersonId",
        ),
        (
            {"day": day(1), "leaveMode": "ALONE", "pickup": "14:00", "aloneUntil": "15:00"},
            "NOT_ALLOWED_ALONE",
            "leaveMode",
        ),
        (
            {"day": day(1), "leaveMode": "WITH_CHILD", "companionChildId": regnbuen_child},
            "NOT_FOUND",
            "companionChildId",
        ),
        (
            {"day": day(1), "leaveMode": "WITH_CHILD", "companionChildId": f["liva"]},
            "NOT_FOUND",
            "companionChildId",
        ),
        (
            {"day": day(1), "leaveMode": "WITH_CHILD", "companionChildId": f["protected"]},
            "NOT_FOUND",
            "companionChildId",
        ),
        (
            {
                "day": day(1),
                "leaveMode": "GUARDIAN",
                "guardianLinkId": "R3VhcmRpYW5MaW5rOjAxOTAwMDAwLTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMA==",
            },
            "NOT_A_PICKUP_PERSON",
            "guardianLinkId",
        ),
        ({"day": day(1), "leaveMode": "SENT_HOME"}, "INVALID", "leaveMode"),
        ({"day": day(1), "leaveMode": "GUARDIAN", "note": "x" * 1001}, "INVALID", "note"),
    ]
    for input_, code, field in cases:
        result = await set_plan(client, f["liva"], **input_)
        assert (result.get("code"), result.get("field")) == (code, field), (input_, result)
    # A child of another institution (Regnbuen's, as Mette sees it from Solsikken) and nonsense.
    for child in (regnbuen_child, "nonsense"):
        result = await set_plan(client, child, day=day(1), leaveMode="GUARDIAN")
        assert result["code"] == "NOT_FOUND"
    assert all(d["source"] == "NONE" for d in await plan(client, f["liva"], day(0), day(13)))
    history = await client.gql(
        "PickupPlanHistory", {"childId": f["liva"], "day": day(1)}, as_=METTE
    )
    assert history["pickupPlanHistory"] == []


async def test_todays_changes_stop_at_the_cutoff_for_guardians_not_for_staff(client, plan_clock):
    f = await family(client)
    made = await set_plan(client, f["liva"], day=day(0), leaveMode="GUARDIAN", pickup="15:00")
    assert made["__typename"] == "PickupPlanEntry"
    plan_clock.at_local(13, 59)  # one minute before the default hour's cut-off
    moved = await set_plan(client, f["liva"], day=day(0), leaveMode="GUARDIAN", pickup="15:30")
    assert moved["__typename"] == "PickupPlanEntry"
    plan_clock.at_local(14, 31)
    late = await set_plan(client, f["liva"], day=day(0), leaveMode="GUARDIAN", pickup="16:00")
    assert (late["code"], late["field"]) == ("AFTER_CUTOFF", "day")
    assert "60" in late["message"]
    cleared = await client.gql("ClearPickupPlan", {"entryId": made["id"]}, as_=METTE)
    assert cleared["clearPickupPlan"]["code"] == "AFTER_CUTOFF"
    # A weekday default for today's weekday changes today too.
    default = await set_plan(client, f["liva"], weekday="MON", leaveMode="GUARDIAN", pickup="16:00")
    assert default["__typename"] == "PickupPlanEntry"  # today has its own override: not affected
    staff = await set_plan(
        client, f["liva"], as_=PERNILLE, day=day(0), leaveMode="GUARDIAN", pickup="16:00"
    )
    assert staff["__typename"] == "PickupPlanEntry"
    tomorrow = await set_plan(client, f["liva"], day=day(1), leaveMode="GUARDIAN", pickup="14:00")
    assert tomorrow["__typename"] == "PickupPlanEntry"
    history = (
        await client.gql("PickupPlanHistory", {"childId": f["liva"], "day": day(0)}, as_=JONAS)
    )["pickupPlanHistory"]
    assert [(h["action"], h["pickup"], h["changedBy"], h["afterCutoff"]) for h in history] == [
        ("set", "15:00", "Mette Holm-Jensen", False),
        ("set", "15:30", "Mette Holm-Jensen", False),
        ("set", "16:00", "Mette Holm-Jensen", False),  # the Monday default
        ("set", "16:00", "Pernille Holm", True),
    ]
    assert history[2]["weekday"] == "MON" and history[3]["day"] == day(0)


async def test_going_home_alone_needs_a_custody_guardians_permission(client, plan_clock):
    f = await family(client)
    for actor in (JONAS, PERNILLE, REGNBUEN_ADMIN):
        denied = await client.gql(
            "SetGoHomeAlone", {"childId": f["liva"], "allowed": True}, as_=actor
        )
        assert denied["setGoHomeAlone"]["code"] == "NOT_FOUND", actor
    granted = await client.gql(
        "SetGoHomeAlone",
        {"childId": f["liva"], "allowed": True, "note": "Kun om fredagen"},
        as_=METTE,
    )
    assert granted["setGoHomeAlone"] == {
        "__typename": "GoHomeAlonePermission",
        "allowed": True,
        "note": "Kun om fredagen",
        "grantedBy": "Mette Holm-Jensen",
    }
    seen = await client.gql("PickupPlanDefaults", {"childId": f["liva"]}, as_=PERNILLE)
    assert (
        seen["goHomeAlone"]["allowed"] is True
        and seen["goHomeAlone"]["grantedBy"] == "Mette Holm-Jensen"
    )
    missing = await set_plan(client, f["liva"], weekday="FRI", leaveMode="ALONE", pickup="14:00")
    assert missing["field"] == "aloneUntil"
    outside = await set_plan(
        client, f["liva"], weekday="FRI", leaveMode="ALONE", pickup="14:00", aloneUntil="16:30"
    )
    assert (outside["code"], outside["field"]) == ("OUTSIDE_OPENING_HOURS", "aloneUntil")
    backwards = await set_plan(
        client, f["liva"], weekday="FRI", leaveMode="ALONE", pickup="15:00", aloneUntil="14:00"
    )
    assert backwards["field"] == "aloneUntil"
    alone = await set_plan(
        client, f["liva"], weekday="FRI", leaveMode="ALONE", pickup="14:00", aloneUntil="15:00"
    )
    assert (alone["leaveMode"], alone["aloneUntil"]) == ("ALONE", "15:00:00")
    withdrawn = await client.gql(
        "SetGoHomeAlone", {"childId": f["liva"], "allowed": False}, as_=METTE
    )
    assert withdrawn["setGoHomeAlone"]["allowed"] is False
    # The plan that relied on it is gone, and the history says why.
    assert (await client.gql("PickupPlanDefaults", {"childId": f["liva"]}, as_=METTE))[
        "pickupPlanDefaults"
    ] == []
    history = (
        await client.gql("PickupPlanHistory", {"childId": f["liva"], "day": day(4)}, as_=METTE)
    )["pickupPlanHistory"]
    assert [(h["action"], h["reason"]) for h in history] == [
        ("set", None),
        ("cleared", "alone_withdrawn"),
    ]


async def test_going_home_with_a_friend_waits_for_the_friends_guardian(client, plan_clock):
    f = await family(client)
    asked = await set_plan(
        client,
        f["liva"],
        day=day(2),
        leaveMode="WITH_CHILD",
        pickup="15:00",
        companionChildId=f["friend"],
        note="Legeaftale",
    )
    assert asked["companionStatus"] == "PENDING" and asked["companionName"]
    requests = (await client.gql("PickupCompanionRequests", as_=f["friend_parent"]))[
        "pickupCompanionRequests"
    ]
    assert [(r["id"], r["childName"], r["note"], r["child"]) for r in requests] == [
        (asked["id"], "Liva", None, None)
    ]
    assert (await client.gql("PickupCompanionRequests", as_=METTE))["pickupCompanionRequests"] == []
    for outsider in (METTE, JONAS, PERNILLE, REGNBUEN_ADMIN):
        denied = await client.gql(
            "AnswerPickupCompanion", {"entryId": asked["id"], "accept": True}, as_=outsider
        )
        assert denied["answerPickupCompanion"]["code"] == "NOT_FOUND", outsider
    accepted = await client.gql(
        "AnswerPickupCompanion", {"entryId": asked["id"], "accept": True}, as_=f["friend_parent"]
    )
    assert accepted["answerPickupCompanion"]["companionStatus"] == "ACCEPTED"
    assert (await client.gql("PickupCompanionRequests", as_=f["friend_parent"]))[
        "pickupCompanionRequests"
    ] == []
    shown = (await plan(client, f["liva"], day(2), day(2)))[0]["entry"]
    assert shown["companionStatus"] == "ACCEPTED"
    same = await set_plan(
        client,
        f["liva"],
        day=day(2),
        leaveMode="WITH_CHILD",
        pickup="15:00",
        companionChildId=f["friend"],
        note="Med cykel",
    )
    assert same["companionStatus"] == "ACCEPTED"
    later = await set_plan(
        client,
        f["liva"],
        day=day(2),
        leaveMode="WITH_CHILD",
        pickup="16:00",
        companionChildId=f["friend"],
    )
    assert later["companionStatus"] == "PENDING"
    declined = await client.gql(
        "AnswerPickupCompanion", {"entryId": asked["id"], "accept": False}, as_=f["friend_parent"]
    )
    assert declined["answerPickupCompanion"]["companionStatus"] == "DECLINED"
    history = (
        await client.gql("PickupPlanHistory", {"childId": f["liva"], "day": day(2)}, as_=METTE)
    )["pickupPlanHistory"]
    assert [h["action"] for h in history] == [
        "set",
        "companion_accepted",
        "set",
        "set",
        "companion_declined",
    ]


async def test_staff_send_a_child_home_and_guardians_hear_at_once(client, runtime, plan_clock):
    f = await family(client)
    await set_plan(
        client, f["liva"], day=day(0), leaveMode="GUARDIAN", arrival="08:00", pickup="15:00"
    )
    for actor in (METTE, JONAS, REGNBUEN_ADMIN, LARS):
        denied = await client.gql(
            "SendChildHome", {"childId": f["liva"], "reason": "Feber"}, as_=actor
        )
        assert denied["sendChildHome"]["code"] == "NOT_FOUND", actor
    blank = await client.gql("SendChildHome", {"childId": f["liva"], "reason": " "}, as_=PERNILLE)
    assert blank["sendChildHome"]["field"] == "reason"
    guardians = f"presence-child:{raw_uuid(f['liva'])}"
    tablets = f"presence-group:{raw_uuid(f['bears_group'])}"
    plan_clock.at_local(11, 15)
    async with (
        runtime.broker.subscribe(guardians) as heard,
        runtime.broker.subscribe(tablets) as shown,
    ):
        sent = (
            await client.gql(
                "SendChildHome", {"childId": f["liva"], "reason": "Feber, 39 grader"}, as_=PERNILLE
            )
        )["sendChildHome"]
        events = [await asyncio.wait_for(e.__anext__(), timeout=2) for e in (heard, shown)]
    assert events == [{"child_id": str(raw_uuid(f["liva"])), "kind": "sent_home"}] * 2
    assert (sent["leaveMode"], sent["pickup"], sent["note"], sent["arrival"]) == (
        "SENT_HOME",
        "11:15:00",
        "Feber, 39 grader",
        "08:00:00",
    )
    today = (await plan(client, f["liva"], day(0), day(0), as_=JONAS))[0]
    assert today["entry"]["leaveMode"] == "SENT_HOME"
    history = (
        await client.gql("PickupPlanHistory", {"childId": f["liva"], "day": day(0)}, as_=METTE)
    )["pickupPlanHistory"]
    assert [(h["action"], h["changedBy"], h["reason"]) for h in history][-1] == (
        "sent_home",
        "Pernille Holm",
        "Feber, 39 grader",
    )


async def test_the_effective_plan_reads_a_bounded_number_of_statements(
    client, plan_clock, assert_max_queries
):
    f = await family(client)
    grandma = await add_pickup_person(client, f["liva"])
    for weekday in ("MON", "TUE", "WED", "THU", "FRI"):
        await set_plan(
            client,
            f["liva"],
            weekday=weekday,
            leaveMode="PICKUP_PERSON",
            pickup="14:00",
            pickupPersonId=grandma,
        )
    for offset in range(1, 12):
        if offset % 7 < 5:
            await set_plan(
                client,
                f["liva"],
                day=day(offset),
                leaveMode="GUARDIAN",
                pickup="15:00",
                guardianLinkId=f["liva_links"][METTE],
            )
    await client.token_for(METTE)
    counts = []
    for end in (day(6), day(60)):
        with assert_max_queries(16) as counter:
            days = await plan(client, f["liva"], day(0), end)
        counts.append(counter.count)
        assert days and all(d["entry"] for d in days)
    assert counts[0] == counts[1]
    too_long = await client.execute(
        "PickupPlan", {"childId": f["liva"], "start": day(0), "end": day(62)}, as_=METTE
    )
    assert too_long["errors"][0]["extensions"]["field"] == "end"


async def test_the_cutoff_is_the_institutions_setting(client, plan_clock):
    f = await family(client)
    await set_plan(client, f["liva"], day=day(0), leaveMode="GUARDIAN", pickup="15:00")
    changed = await client.gql(
        "UpdateInstitutionSettings",
        {"institution": f["institution"], "input": {"pickupChangeCutoffMinutes": 120}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert changed["updateInstitutionSettings"]["__typename"] == "Institution"
    plan_clock.at_local(13, 1)
    late = await set_plan(client, f["liva"], day=day(0), leaveMode="GUARDIAN", pickup="15:30")
    assert late["code"] == "AFTER_CUTOFF" and "120" in late["message"]


async def test_removing_a_pickup_person_clears_the_plans_naming_them_with_a_trace(client, plan_clock):
    f = await family(client)
    grandma = await add_pickup_person(client, f["liva"])
    await set_plan(client, f["liva"], weekday="FRI", leaveMode="PICKUP_PERSON", pickup="14:00", pickupPersonId=grandma)
    await set_plan(client, f["liva"], day=day(1), leaveMode="PICKUP_PERSON", pickup="14:00", pickupPersonId=grandma)
    done = await client.gql("RemovePickupPerson", {"pickupPersonId": grandma}, as_=METTE)
    assert done["removePickupPerson"]["__typename"] == "AttendanceDone"
    assert (await client.gql("PickupPlanDefaults", {"childId": f["liva"]}, as_=METTE))["pickupPlanDefaults"] == []
    assert (await plan(client, f["liva"], day(1), day(1)))[0]["source"] == "NONE"
    history = (await client.gql("PickupPlanHistory", {"childId": f["liva"], "day": day(4)}, as_=PERNILLE))["pickupPlanHistory"]
    assert [(h["action"], h["pickupPerson"], h["reason"]) for h in history] == [
        ("set", "Inge Holm", None),
        ("cleared", "Inge Holm", "pickup_person_removed"),
    ]
