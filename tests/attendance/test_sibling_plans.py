"""Siblings: one `setPickupPlan` call for several children (`children`), each naming its own
pickup person; atomic, with each refused child's own error; the single-child form unchanged."""

from __future__ import annotations

from tests.attendance.plan_helpers import METTE, add_pickup_person, day, plan


async def _siblings(client) -> tuple[str, str]:
    me = (await client.gql("Me", as_=METTE))["me"]
    names = {c["name"]: c["id"] for c in me["children"]}
    return names["Liva Holm-Jensen"], names["Oscar Holm-Jensen"]


async def _set(client, children: list[dict], **input_) -> dict:
    data = await client.gql(
        "SetSiblingPickupPlan", {"children": children, "input": input_}, as_=METTE
    )
    result: dict = data["setPickupPlan"]
    return result


async def test_grandma_fetches_both_each_as_that_childs_pickup_person(
    client, plan_clock, assert_max_queries
):
    liva, oscar = await _siblings(client)
    for_liva = await add_pickup_person(client, liva)
    for_oscar = await add_pickup_person(client, oscar)
    # A plan is checked per child (its people, its day, its cut-off): about 9 statements a
    # child, at most 10 children a call.
    with assert_max_queries(24):
        made = await _set(
            client,
            [
                {"childId": liva, "pickupPersonId": for_liva},
                {"childId": oscar, "pickupPersonId": for_oscar},
            ],
            day=day(2),
            leaveMode="PICKUP_PERSON",
            pickup="14:30",
            note="Mormor henter",
        )
    assert made["__typename"] == "SiblingPickupPlans", made
    assert [e["pickupPerson"]["name"] for e in made["entries"]] == ["Inge Holm", "Inge Holm"]
    for child in (liva, oscar):
        (planned,) = await plan(client, child, day(2), day(2))
        assert planned["source"] == "OVERRIDE" and planned["pickup"] == "14:30:00"


async def test_one_refused_child_sets_no_plan_for_any(client, plan_clock):
    liva, oscar = await _siblings(client)
    for_liva = await add_pickup_person(client, liva)
    refused = await _set(
        client,
        [
            {"childId": liva, "pickupPersonId": for_liva},
            {"childId": oscar, "pickupPersonId": for_liva},  # Liva's, not Oscar's
            {"childId": "not-an-id"},
        ],
        day=day(2),
        leaveMode="PICKUP_PERSON",
        pickup="14:30",
    )
    assert refused["__typename"] == "ChildrenRefusedError", refused
    assert refused["reason"] == "CHILDREN_REFUSED" and refused["field"] == "children"
    by_index = {c["index"]: c["error"] for c in refused["children"]}
    assert sorted(by_index) == [1, 2]
    assert by_index[1]["reason"] == "PICKUP_PERSON_NOT_OF_CHILD"
    assert by_index[2]["code"] == "NOT_FOUND"
    for child in (liva, oscar):
        assert (await plan(client, child, day(2), day(2)))[0]["source"] == "NONE"
