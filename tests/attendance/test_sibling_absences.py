"""Siblings: one `registerAbsence` call for several children of one guardian (`childIds`),
atomic, with each refused child's own error; the single-child form is unchanged."""

from __future__ import annotations

from datetime import date, timedelta

from tests.helpers import SOLSIKKEN_ADMIN, overview

METTE = "mette@example.com"  # Liva (Solsikken) and Oscar (Regnbuen)


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


async def _mettes_children(client) -> list[str]:
    me = await client.gql("Me", as_=METTE)
    names = {c["name"]: c["id"] for c in me["me"]["children"]}
    return [names["Liva Holm-Jensen"], names["Oscar Holm-Jensen"]]


async def _absences(client, child: str) -> list[dict]:
    data = await client.gql(
        "Absences", {"childId": child, "start": day(0), "end": day(60)}, as_=METTE
    )
    return data["absences"]


async def test_siblings_in_one_call_with_one_key(client, assert_max_queries):
    liva, oscar = await _mettes_children(client)
    variables = {
        "childIds": [liva, oscar],
        "kind": "VACATION",
        "fromDay": day(20),
        "untilDay": day(24),
        "note": "Sommerhus",
        "idempotencyKey": "siblings-1",
    }
    one = {**variables, "childIds": [liva], "fromDay": day(40), "untilDay": day(41)}
    one.pop("idempotencyKey")
    with assert_max_queries(8) as alone:
        await client.gql("RegisterSiblingAbsence", one, as_=METTE)
    # Two children cost what one does (plus the key's look-up and row): no statement per child.
    with assert_max_queries(alone.count + 2):
        made = (await client.gql("RegisterSiblingAbsence", variables, as_=METTE))[
            "registerAbsence"
        ]
    assert made["__typename"] == "SiblingAbsences", made
    assert [a["note"] for a in made["absences"]] == ["Sommerhus", "Sommerhus"]
    assert made["absences"][0]["id"] in [a["id"] for a in await _absences(client, liva)]
    assert [a["id"] for a in await _absences(client, oscar)] == [made["absences"][1]["id"]]
    again = (await client.gql("RegisterSiblingAbsence", variables, as_=METTE))["registerAbsence"]
    assert again == made  # a retry replays: nothing new
    assert len(await _absences(client, liva)) == 2


async def test_one_refused_child_refuses_the_call_and_says_which(client):
    liva, oscar = await _mettes_children(client)
    first = await client.gql(
        "RegisterAbsence",
        {"childId": oscar, "kind": "VACATION", "fromDay": day(30), "untilDay": day(32)},
        as_=METTE,
    )
    assert first["registerAbsence"]["__typename"] == "Absence"  # the old form still works
    node = await overview(client, SOLSIKKEN_ADMIN)
    other_family = next(
        e["node"]["id"] for e in node["children"]["edges"] if e["node"]["group"]["name"] == "Myrerne"
    )
    refused = (
        await client.gql(
            "RegisterSiblingAbsence",
            {
                "childIds": [liva, "not-an-id", oscar, other_family, liva],
                "kind": "VACATION",
                "fromDay": day(31),
                "untilDay": day(33),
            },
            as_=METTE,
        )
    )["registerAbsence"]
    assert refused["__typename"] == "ChildrenRefusedError", refused
    assert refused["reason"] == "CHILDREN_REFUSED" and refused["field"] == "childIds"
    by_index = {c["index"]: c["error"] for c in refused["children"]}
    assert sorted(by_index) == [1, 2, 3, 4]  # Liva herself (index 0) was fine
    assert by_index[1]["code"] == by_index[3]["code"] == "NOT_FOUND"
    assert by_index[2]["reason"] == "ABSENCE_OVERLAPS"
    assert by_index[4]["reason"] == "CHILD_NAMED_TWICE"
    assert await _absences(client, liva) == []  # atomic: nothing for anyone
    assert len(await _absences(client, oscar)) == 1


async def test_one_child_or_a_list_never_both(client):
    liva, oscar = await _mettes_children(client)
    query = (
        "mutation RegisterSiblingAbsence($one: ID!, $childIds: [ID!]!, $kind: AbsenceKind!, "
        "$fromDay: Date!) { registerAbsence(childId: $one, childIds: $childIds, kind: $kind, "
        "fromDay: $fromDay) { ... on UserError { reason } } }"
    )
    both = await client.execute(
        "RegisterSiblingAbsence",
        {"one": liva, "childIds": [oscar], "kind": "SICK", "fromDay": day(0)},
        query=query,
        as_=METTE,
    )
    assert both["data"]["registerAbsence"] == {"reason": "ONE_CHILD_OR_SIBLINGS"}
