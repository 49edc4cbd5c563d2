"""Administration by an institution's admin, and its validation errors."""

from __future__ import annotations

from tests.helpers import (
    REGNBUEN_ADMIN,
    SOLSIKKEN_ADMIN,
    child_id,
    group_id,
    institution_id,
    overview,
)

ADMIN = SOLSIKKEN_ADMIN


async def test_create_rename_and_close_a_group(client):
    iid = await institution_id(client, ADMIN)
    made = (
        await client.gql(
            "CreateGroup", {"institutionId": iid, "name": "  Sommerfuglene "}, as_=ADMIN
        )
    )["createGroup"]
    assert made["__typename"] == "Group" and made["name"] == "Sommerfuglene"
    clash = (
        await client.gql("CreateGroup", {"institutionId": iid, "name": "bjørnene"}, as_=ADMIN)
    )["createGroup"]
    assert clash["code"] == "CONFLICT" and clash["field"] == "name"
    empty = (await client.gql("CreateGroup", {"institutionId": iid, "name": "   "}, as_=ADMIN))[
        "createGroup"
    ]
    assert empty["__typename"] == "ValidationError" and empty["field"] == "name"
    renamed = (
        await client.gql("UpdateGroup", {"groupId": made["id"], "name": "Mariehønen"}, as_=ADMIN)
    )["updateGroup"]
    assert renamed["name"] == "Mariehønen"
    closed = (await client.gql("DeactivateGroup", {"groupId": made["id"]}, as_=ADMIN))[
        "deactivateGroup"
    ]
    assert closed["isActive"] is False


async def test_a_group_with_children_cannot_be_closed(client):
    bears = await group_id(client, ADMIN, "Bjørnene")
    result = (await client.gql("DeactivateGroup", {"groupId": bears}, as_=ADMIN))["deactivateGroup"]
    assert result["code"] == "CONFLICT"
    assert "12" in result["message"]


async def test_enrol_move_and_end_a_child(client):
    bears = await group_id(client, ADMIN, "Bjørnene")
    ants = await group_id(client, ADMIN, "Myrerne")
    made = (
        await client.gql(
            "CreateChild",
            {
                "input": {
                    "groupId": bears,
                    "firstName": "Asta",
                    "lastName": "Friis",
                    "birthDate": "2022-03-14",
                }
            },
            as_=ADMIN,
        )
    )["createChild"]
    assert made["__typename"] == "Child" and made["group"]["name"] == "Bjørnene"
    moved = (await client.gql("MoveChild", {"childId": made["id"], "groupId": ants}, as_=ADMIN))[
        "moveChild"
    ]
    assert moved["group"]["name"] == "Myrerne"
    ended = await client.gql(
        "DeactivateChild", {"childId": made["id"], "lastDay": "2099-07-31"}, as_=ADMIN
    )
    assert ended["deactivateChild"]["activeUntil"] == "2099-07-31"


async def test_child_validation(client):
    bears = await group_id(client, ADMIN, "Bjørnene")
    future = (
        await client.gql(
            "CreateChild",
            {
                "input": {
                    "groupId": bears,
                    "firstName": "Ny",
                    "lastName": "Født",
                    "birthDate": "2999-01-01",
                }
            },
            as_=ADMIN,
        )
    )["createChild"]
    assert future["code"] == "INVALID" and future["field"] == "birthDate"
    assert "fremtiden" in future["message"]  # the admin's language is Danish
    nameless = (
        await client.gql(
            "CreateChild",
            {
                "input": {
                    "groupId": bears,
                    "firstName": "",
                    "lastName": "X",
                    "birthDate": "2021-01-01",
                }
            },
            as_=ADMIN,
        )
    )["createChild"]
    assert nameless["field"] == "firstName"


async def test_a_child_cannot_be_moved_to_another_institutions_group(client):
    liva = await child_id(client, ADMIN, "Liva Holm-Jensen")
    other_group = await group_id(client, REGNBUEN_ADMIN, "0.A")
    result = (await client.gql("MoveChild", {"childId": liva, "groupId": other_group}, as_=ADMIN))[
        "moveChild"
    ]
    assert result["code"] == "NOT_FOUND" and result["field"] == "groupId"


async def test_staff_added_by_email_with_groups(client):
    iid = await institution_id(client, ADMIN)
    frogs = await group_id(client, ADMIN, "Frøerne")
    made = (
        await client.gql(
            "AddStaff",
            {
                "input": {
                    "institutionId": iid,
                    "email": "Sofie@Solsikken.example",
                    "name": "Sofie Dahl",
                    "title": "Medhjælper",
                    "groupIds": [frogs],
                }
            },
            as_=ADMIN,
        )
    )["addStaff"]
    assert made["__typename"] == "StaffMember" and [g["name"] for g in made["groups"]] == [
        "Frøerne"
    ]
    again = (
        await client.gql(
            "AddStaff",
            {"input": {"institutionId": iid, "email": "sofie@solsikken.example", "name": "Sofie"}},
            as_=ADMIN,
        )
    )["addStaff"]
    assert again["code"] == "CONFLICT"
    updated = (
        await client.gql(
            "UpdateStaff", {"input": {"staffId": made["id"], "groupIds": []}}, as_=ADMIN
        )
    )["updateStaff"]
    assert updated["groups"] == []
    gone = (await client.gql("DeactivateStaff", {"staffId": made["id"]}, as_=ADMIN))[
        "deactivateStaff"
    ]
    assert gone["isActive"] is False


async def test_deactivated_staff_loses_access(client):
    node = await overview(client, ADMIN)
    pernille = next(s for s in node["staff"] if s["email"] == "pernille@solsikken.example")
    before = (await client.gql("Me", as_="pernille@solsikken.example"))["me"]
    assert before["staffedGroups"]
    await client.gql("DeactivateStaff", {"staffId": pernille["id"]}, as_=ADMIN)
    after = (await client.gql("Me", as_="pernille@solsikken.example"))["me"]
    assert after["staffedGroups"] == [] and after["institutions"] == []


async def test_guardian_without_custody_gets_no_access_by_default(client):
    liva = await child_id(client, ADMIN, "Liva Holm-Jensen")
    link = (
        await client.gql(
            "AddGuardian",
            {
                "input": {
                    "childId": liva,
                    "email": "stedfar@example.com",
                    "name": "Bo Berg",
                    "hasCustody": False,
                }
            },
            as_=ADMIN,
        )
    )["addGuardian"]
    assert link["access"] == "NONE"
    await client.gql(
        "Login", {"email": "stedfar@example.com", "password": "x" * 12}
    )  # no password yet
    granted = (
        await client.gql(
            "UpdateGuardianLink",
            {"input": {"guardianLinkId": link["id"], "access": "INFORMATION"}},
            as_=ADMIN,
        )
    )["updateGuardianLink"]
    assert granted["access"] == "INFORMATION"
    removed = (await client.gql("RemoveGuardianLink", {"guardianLinkId": link["id"]}, as_=ADMIN))[
        "removeGuardianLink"
    ]
    assert removed["__typename"] == "Done"


async def test_guardian_with_access_none_does_not_see_the_child(client):
    liva = await child_id(client, ADMIN, "Liva Holm-Jensen")
    node = await overview(client, ADMIN)
    edge = next(e for e in node["children"]["edges"] if e["node"]["id"] == liva)
    jonas = next(g for g in edge["node"]["guardians"] if g["email"] == "jonas@example.com")
    await client.gql(
        "UpdateGuardianLink",
        {"input": {"guardianLinkId": jonas["id"], "access": "NONE"}},
        as_=ADMIN,
    )
    me = (await client.gql("Me", as_="jonas@example.com"))["me"]
    assert me["children"] == []
    assert (await client.gql("Node", {"id": liva}, as_="jonas@example.com"))["node"] is None


async def test_update_institution_opening_hours_and_timezone(client):
    iid = await institution_id(client, ADMIN)
    bad = (
        await client.gql(
            "UpdateInstitution",
            {
                "input": {
                    "institutionId": iid,
                    "openingHours": [{"weekday": "mon", "opens": "17:00", "closes": "07:00"}],
                }
            },
            as_=ADMIN,
        )
    )["updateInstitution"]
    assert bad["field"] == "openingHours"
    zone = await client.gql(
        "UpdateInstitution",
        {"input": {"institutionId": iid, "timezone": "Mars/Olympus"}},
        as_=ADMIN,
    )
    assert zone["updateInstitution"]["field"] == "timezone"
    ok = (
        await client.gql(
            "UpdateInstitution",
            {
                "input": {
                    "institutionId": iid,
                    "openingHours": [{"weekday": "fri", "opens": "07:00", "closes": "15:30"}],
                }
            },
            as_=ADMIN,
        )
    )["updateInstitution"]
    assert ok["openingHours"] == [{"weekday": "fri", "opens": "07:00", "closes": "15:30"}]


async def test_children_are_paged_by_keyset_cursor(client, assert_max_queries):
    iid = await institution_id(client, ADMIN)
    seen: list[str] = []
    after = None
    while True:
        page = (
            await client.gql(
                "InstitutionOverview", {"id": iid, "first": 10, "after": after}, as_=ADMIN
            )
        )["node"]
        seen += [e["node"]["name"] for e in page["children"]["edges"]]
        if not page["children"]["pageInfo"]["hasNextPage"]:
            break
        after = page["children"]["pageInfo"]["endCursor"]
    assert len(seen) == 36
    with assert_max_queries(11) as small:
        await client.gql("InstitutionOverview", {"id": iid, "first": 5}, as_=ADMIN)
    with assert_max_queries(small.count):
        await client.gql("InstitutionOverview", {"id": iid, "first": 36}, as_=ADMIN)


async def test_first_over_100_is_refused(client):
    iid = await institution_id(client, ADMIN)
    # Cheap enough for the cost limit, so the page-size rule itself answers.
    query = "query Big($id: ID!) { node(id: $id) { ... on Institution { children(first: 101) { edges { cursor } } } } }"
    payload = await client.execute("Big", {"id": iid}, query=query, as_=ADMIN)
    error = payload["errors"][0]
    assert error["extensions"] == {
        "code": "INVALID",
        "field": "first",
        "reason": "INVALID_PAGE_SIZE",
        "retryable": False,
    }
    assert "100" in error["message"]
