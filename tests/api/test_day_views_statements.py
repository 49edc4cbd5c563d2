"""The day views cost a fixed number of statements whatever the size of the group, the
number of entries and photos or of a guardian's children, and hydrate no ORM entity: their
read models select the columns the types show. The statements of signing in are counted
apart (a request whose field fails before it reads anything), so the bounds here are the
fields' own (and so are the statements that set a transaction's tenant scope)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from app.db import Base
from tests.attendance.day_view_helpers import local
from tests.attendance.plan_helpers import METTE, PERNILLE, day, family, set_plan
from tests.attendance.presence_support import check_in, check_out
from tests.daybook.helpers import at, record, yesterday
from tests.gallery.common import add_photo, solsikken
from tests.helpers import SOLSIKKEN_ADMIN

# What each view may run for its fields, signing in not counted.
GROUP_DAY, CHILD_DAY, MY_CHILDREN_TODAY = 3, 3, 3
PROBE = 'query Probe { groupDay(groupId: "bm90LWFuLWlk") { day } }'
TENANT_SCOPE = "SELECT set_config('seddel.institution_ids'"


@contextmanager
def hydrated() -> Iterator[Counter[str]]:
    """The ORM entities loaded meanwhile, by class."""
    loaded: Counter[str] = Counter()

    def on_load(target: Any, _context: Any) -> None:
        loaded[type(target).__name__] += 1

    event.listen(Base, "load", on_load, propagate=True)
    try:
        yield loaded
    finally:
        event.remove(Base, "load", on_load)


async def _cost(
    client: Any, assert_max_queries: Any, operation: str, variables: dict[str, Any], as_: str
) -> tuple[int, Counter[str], dict[str, Any]]:
    """(statements of the fields, entities they hydrated, the answer's data)."""
    await client.token_for(as_)
    with assert_max_queries(100) as probe, hydrated() as probe_loads:
        await client.execute("Probe", as_=as_, query=PROBE)
    with assert_max_queries(100) as counter, hydrated() as loads:
        data = await client.gql(operation, variables, as_=as_)
    loads.subtract(probe_loads)
    print(f"{operation} as {as_}: {counter.count} statements, {probe.count} of them signing in")
    return _reads(counter.statements) - _reads(probe.statements), +loads, data


def _reads(statements: list[str]) -> int:
    """Statements other than setting a transaction's tenant scope (the request path's, once
    per transaction on PostgreSQL) and the access log's one INSERT of the request (staff
    reading children: its own budget, tests/privacy)."""
    return sum(
        1
        for s in statements
        if not s.lstrip().startswith(TENANT_SCOPE)
        and not s.lstrip().startswith("INSERT INTO child_access_log")
    )


async def _grow_the_group(client: Any, f: dict[str, Any], n: int) -> None:
    """n more children in Bjørnene, each checked in (some out again, picked up), some
    absent, some with a plan, three of them Mette's."""
    for i in range(n):
        made = await client.gql(
            "CreateChild",
            {
                "input": {
                    "groupId": f["bears_group"],
                    "firstName": f"Barn{i:02d}",
                    "lastName": "Stor",
                    "birthDate": "2026-01-01",
                    "activeFrom": "2029-01-01",
                }
            },
            as_=SOLSIKKEN_ADMIN,
        )
        child = made["createChild"]
        assert child["__typename"] == "Child", child
        if i < 3:
            linked = await client.gql(
                "AddGuardian",
                {"input": {"childId": child["id"], "email": METTE, "name": "Mette Holm-Jensen"}},
                as_=SOLSIKKEN_ADMIN,
            )
            assert linked["addGuardian"]["__typename"] == "GuardianLink", linked
        if i % 4 == 3:
            sick = await client.gql(
                "RegisterAbsence",
                {"childId": child["id"], "kind": "SICK", "fromDay": day(0), "note": "Feber"},
                as_=PERNILLE,
            )
            assert sick["registerAbsence"]["__typename"] == "Absence", sick
            continue
        if i % 4 == 1:
            await set_plan(
                client,
                child["id"],
                as_=PERNILLE,
                day=day(0),
                leaveMode="GUARDIAN",
                arrival="08:00",
                pickup="10:00",
            )
        came = await check_in(client, child["id"], at=local(8, i))
        assert came["__typename"] == "PresenceChanged", came
        if i % 4 == 2:
            went = await check_out(
                client,
                child["id"],
                at=local(9, i),
                picked_up_by={"otherName": "Nabo"},
                reason="Aftalt",
            )
            assert went["__typename"] == "PresenceChanged", went


async def test_group_day_and_my_children_today_do_not_grow_with_the_children(
    client, plan_clock, assert_max_queries
):
    f = await family(client)
    plan_clock.at_local(10, 30)
    await check_in(client, f["liva"], at=local(9, 5))
    group_day = {"groupId": f["bears_group"], "day": day(0)}
    few, few_loads, small = await _cost(client, assert_max_queries, "GroupDay", group_day, PERNILLE)
    mine, mine_loads, _ = await _cost(client, assert_max_queries, "MyChildrenToday", {}, METTE)

    await _grow_the_group(client, f, 16)
    many, many_loads, big = await _cost(client, assert_max_queries, "GroupDay", group_day, PERNILLE)
    assert len(big["groupDay"]["children"]) == len(small["groupDay"]["children"]) + 16
    more, more_loads, today = await _cost(client, assert_max_queries, "MyChildrenToday", {}, METTE)
    assert len(today["myChildrenToday"]) == 5
    print(f"GroupDay {few} → {many}; MyChildrenToday {mine} → {more}")
    assert many == few <= GROUP_DAY
    assert more == mine <= MY_CHILDREN_TODAY
    assert not (few_loads or many_loads or mine_loads or more_loads), (
        few_loads + many_loads + mine_loads + more_loads
    )


async def test_child_day_does_not_grow_with_entries_and_photos(client, assert_max_queries):
    f = await family(client)
    node = await solsikken(client)
    liva = f["liva"]
    variables = {"child": liva, "date": yesterday().isoformat()}
    staff = {s["email"]: s["id"] for s in node["staff"]}
    medication = {"medicine": "Panodil", "dose": "5 ml", "givenBy": staff[PERNILLE]}
    incident = {"description": "Faldt", "firstAid": "Plaster"}
    await record(client, liva, {"medication": medication}, at=at(8, 0))
    await record(client, liva, {"incident": incident}, at=at(8, 5))
    await add_photo(client, node, [liva], takenOn=yesterday().isoformat(), caption="én")
    few, few_loads, _ = await _cost(client, assert_max_queries, "ChildDay", variables, METTE)
    staff_few, staff_few_loads, _ = await _cost(
        client, assert_max_queries, "ChildDay", variables, PERNILLE
    )

    for minute in range(0, 50, 5):
        await record(client, liva, {"diaper": {"diaper": "WET"}}, at=at(9, minute))
    await record(client, liva, {"medication": medication}, at=at(10, 0))
    await record(client, liva, {"incident": incident}, at=at(10, 15))
    for n in range(4):
        await add_photo(client, node, [liva], takenOn=yesterday().isoformat(), caption=f"{n}")
    many, many_loads, data = await _cost(client, assert_max_queries, "ChildDay", variables, METTE)
    assert len(data["childDay"]["entries"]) == 14 and len(data["childDay"]["photos"]) == 5
    staff_many, staff_many_loads, _ = await _cost(
        client, assert_max_queries, "ChildDay", variables, PERNILLE
    )
    print(f"ChildDay {few} → {many} (staff {staff_few} → {staff_many})")
    assert many == few <= CHILD_DAY
    assert staff_many == staff_few <= CHILD_DAY
    assert not (few_loads or many_loads or staff_few_loads or staff_many_loads), (
        few_loads + many_loads + staff_few_loads + staff_many_loads
    )
