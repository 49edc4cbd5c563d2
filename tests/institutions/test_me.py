"""`me` for each demo role, and its statement count."""

from __future__ import annotations

from tests.conftest import is_postgres


async def test_mette_sees_both_children_across_two_institutions(client):
    me = (await client.gql("Me", as_="mette@example.com"))["me"]
    institutions = {m["institution"]["name"]: m["roles"] for m in me["institutions"]}
    assert institutions == {"Regnbuen": ["GUARDIAN"], "Solsikken": ["GUARDIAN"]}
    children = {c["name"]: (c["group"]["name"], c["institution"]["name"]) for c in me["children"]}
    assert children == {
        "Liva Holm-Jensen": ("Bjørnene", "Solsikken"),
        "Oscar Holm-Jensen": ("0.A", "Regnbuen"),
    }


async def test_jonas_has_information_access_to_liva_only(client):
    me = (await client.gql("Me", as_="jonas@example.com"))["me"]
    assert [c["name"] for c in me["children"]] == ["Liva Holm-Jensen"]


async def test_pedagogue_sees_her_group(client):
    me = (await client.gql("Me", as_="pernille@solsikken.example"))["me"]
    assert [g["name"] for g in me["staffedGroups"]] == ["Bjørnene"]
    assert me["institutions"][0]["roles"] == ["STAFF"]
    assert me["children"] == []


async def test_admin_roles(client):
    me = (await client.gql("Me", as_="admin@regnbuen.example"))["me"]
    assert [(m["institution"]["name"], m["roles"]) for m in me["institutions"]] == [
        ("Regnbuen", ["ADMIN"])
    ]


async def test_me_statement_count_does_not_grow_with_children(client, assert_max_queries):
    await client.token_for("mette@example.com")
    # PostgreSQL: the sign-in, then institutions, children and groups in one statement;
    # SQLite reads the session and the roles in three.
    with assert_max_queries(2 if is_postgres() else 4) as two_children:
        await client.gql("Me", as_="mette@example.com")
    await client.token_for("admin@solsikken.example")
    me = (await client.gql("Me", as_="admin@solsikken.example"))["me"]
    institution = me["institutions"][0]["institution"]["id"]
    overview = await client.gql(
        "InstitutionOverview", {"id": institution, "first": 8}, as_="admin@solsikken.example"
    )
    edges = overview["node"]["children"]["edges"]
    child_ids = [e["node"]["id"] for e in edges if e["node"]["name"] != "Liva Holm-Jensen"][:5]
    for child_id in child_ids:
        data = await client.gql(
            "AddGuardian",
            {"input": {"childId": child_id, "email": "mette@example.com", "name": "Mette"}},
            as_="admin@solsikken.example",
        )
        assert data["addGuardian"]["__typename"] == "GuardianLink"
    with assert_max_queries(two_children.count) as seven_children:
        me = (await client.gql("Me", as_="mette@example.com"))["me"]
    assert len(me["children"]) == 7
    assert seven_children.count == two_children.count
