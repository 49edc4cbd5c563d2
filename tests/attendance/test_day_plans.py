"""day_plans: the batch h4's group day reads, in two statements whatever the group size."""

from __future__ import annotations

from app.attendance.plans.service.reads import day_plans
from app.db import scope
from tests.attendance.plan_helpers import (
    METTE,
    MONDAY,
    PERNILLE,
    add_pickup_person,
    day,
    family,
    raw_uuid,
    set_plan,
)


async def test_day_plans_of_a_whole_group_in_two_statements(
    client, db, plan_clock, assert_max_queries
):
    f = await family(client)
    grandma = await add_pickup_person(client, f["liva"])
    await set_plan(
        client,
        f["liva"],
        weekday="MON",
        leaveMode="PICKUP_PERSON",
        pickup="14:00",
        pickupPersonId=grandma,
    )
    await set_plan(
        client,
        f["friend"],
        as_=PERNILLE,
        day=day(0),
        leaveMode="GUARDIAN",
        arrival="07:30",
        pickup="16:00",
    )
    await set_plan(
        client, f["friend"], as_=PERNILLE, weekday="MON", leaveMode="GUARDIAN", pickup="15:00"
    )
    survey = await client.gql(
        "OpenVacationSurvey",
        {
            "input": {
                "institutionId": f["institution"],
                "title": "Jul",
                "firstDay": day(0),
                "lastDay": day(4),
                "deadline": day(-1),
            }
        },
        as_="admin@solsikken.example",
    )
    assert survey["openVacationSurvey"]["code"] == "DAY_IN_PAST"  # cannot open one in the past
    ids = [raw_uuid(c) for c in f["bears"]]
    scope(db, institution_ids=[raw_uuid(f["institution"])], user_id=None)
    await db.connection()  # the transaction (and on PostgreSQL its tenant scope) begins here
    with assert_max_queries(2):
        plans = await day_plans(db, child_ids=ids, day=MONDAY)
    liva, friend = raw_uuid(f["liva"]), raw_uuid(f["friend"])
    assert set(plans) == {liva, friend}
    assert (plans[liva].source, plans[liva].leave_mode, str(plans[liva].pickup)) == (
        "weekly",
        "pickup_person",
        "14:00:00",
    )
    assert (plans[friend].source, str(plans[friend].arrival), str(plans[friend].pickup)) == (
        "override",
        "07:30:00",
        "16:00:00",
    )
    assert plans[liva].entry is not None and plans[liva].entry.pickup_person_id == raw_uuid(grandma)
    assert await day_plans(db, child_ids=[], day=MONDAY) == {}
    tuesday = await day_plans(db, child_ids=ids, day=MONDAY.replace(day=8))
    assert tuesday == {}
    assert METTE  # the plans were made through the API by Mette and Pernille
