"""The group's contact list (kontaktliste): nothing of a guardian is shown until they choose,
per child, their name, phone or e-mail; they withdraw at any time; a protected child and its
guardians are never listed; the group's guardians and the institution's staff read it, nobody
else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from app.accounts.models import User
from tests.helpers import SOLSIKKEN_ADMIN, group_id
from tests.privacy.helpers import (
    JONAS,
    KARSTEN,
    LARS,
    METTE,
    PERNILLE,
    REGNBUEN_ADMIN,
    solsikken,
)

SHOW_ALL = {"showName": True, "showPhone": True, "showEmail": True}
NOTHING = {"showName": False, "showPhone": False, "showEmail": False}


async def _share(client: Any, child: str, choice: dict[str, bool], *, as_: str) -> dict[str, Any]:
    data = await client.gql("SetContactSharing", {"childId": child, "input": choice}, as_=as_)
    result: dict[str, Any] = data["setContactSharing"]
    assert result["__typename"] == "ContactSharing", result
    return result


async def _list(client: Any, group: str, as_: str) -> list[dict[str, Any]]:
    data = await client.gql("GroupContacts", {"groupId": group}, as_=as_)
    rows: list[dict[str, Any]] = data["groupContacts"]
    return rows


def _names(rows: list[dict[str, Any]]) -> set[str | None]:
    return {row["name"] for row in rows}


async def test_nothing_is_shown_until_a_guardian_chooses_and_then_only_what_they_chose(
    client, runtime
):
    s = await solsikken(client)
    bears = s["bears_group"]
    neighbour = s["others"][0]
    neighbour_parent = neighbour["guardians"][0]
    assert await _list(client, bears, METTE) == []
    mine = await client.gql("ContactSharing", {"childId": s["liva"]}, as_=METTE)
    assert mine["contactSharing"] == {"childId": s["liva"], **NOTHING}
    async with runtime.sessions() as db, db.begin():
        await db.execute(
            update(User).where(User.email_key == METTE).values(phone="+45 40 50 60 70")
        )
    await _share(client, s["liva"], {"showName": True, "showPhone": True}, as_=METTE)
    (row,) = await _list(client, bears, neighbour_parent["email"])
    assert row == {
        "childId": s["liva"],
        "childName": "Liva Holm-Jensen",
        "name": "Mette Holm-Jensen",
        "relation": "mor",
        "phone": "+45 40 50 60 70",
        "email": None,
    }
    await _share(client, neighbour["id"], {"showEmail": True}, as_=neighbour_parent["email"])
    rows = await _list(client, bears, METTE)
    by_child = {r["childId"]: r for r in rows}
    assert by_child[neighbour["id"]] == {
        "childId": neighbour["id"],
        "childName": neighbour["name"],
        "name": None,
        "relation": None,
        "phone": None,
        "email": neighbour_parent["email"],
    }
    # Jonas (information only) reads the list; he shares nothing, so he is not on it.
    assert await _list(client, bears, JONAS) == rows
    assert "Jonas Jensen" not in _names(rows)
    # Staff of the institution see the list the guardians chose: no more, no less.
    for staff in (PERNILLE, KARSTEN, SOLSIKKEN_ADMIN):
        assert await _list(client, bears, staff) == rows, staff


async def test_withdrawing_takes_a_guardian_off_at_once(client):
    s = await solsikken(client)
    neighbour_parent = s["others"][0]["guardians"][0]["email"]
    await _share(client, s["liva"], SHOW_ALL, as_=METTE)
    assert "Mette Holm-Jensen" in _names(await _list(client, s["bears_group"], neighbour_parent))
    withdrawn = await _share(client, s["liva"], NOTHING, as_=METTE)
    assert withdrawn == {"__typename": "ContactSharing", "childId": s["liva"], **NOTHING}
    assert await _list(client, s["bears_group"], neighbour_parent) == []
    assert await _list(client, s["bears_group"], PERNILLE) == []


async def test_a_protected_child_and_its_guardians_are_never_listed(client):
    s = await solsikken(client)
    protected = s["protected"]
    hidden_parent = protected["guardians"][0]["email"]
    await _share(client, protected["id"], SHOW_ALL, as_=hidden_parent)
    # The same guardian also has an unprotected child in the group: still never listed.
    second = s["others"][1]
    added = await client.gql(
        "AddGuardian",
        {
            "input": {
                "childId": second["id"],
                "email": hidden_parent,
                "name": protected["guardians"][0]["name"],
            }
        },
        as_=SOLSIKKEN_ADMIN,
    )
    assert added["addGuardian"]["__typename"] == "GuardianLink", added
    await _share(client, second["id"], SHOW_ALL, as_=hidden_parent)
    await _share(client, s["liva"], SHOW_ALL, as_=METTE)
    for reader in (METTE, hidden_parent, PERNILLE, SOLSIKKEN_ADMIN):
        rows = await _list(client, s["bears_group"], reader)
        assert [r["name"] for r in rows] == ["Mette Holm-Jensen"], reader
        assert protected["id"] not in {r["childId"] for r in rows}
        assert hidden_parent not in {r["email"] for r in rows}


async def test_another_group_and_another_institution_see_nothing(client):
    s = await solsikken(client)
    await _share(client, s["liva"], SHOW_ALL, as_=METTE)
    ant_parent = s["ant"]["guardians"][0]["email"]
    await _share(client, s["ant"]["id"], SHOW_ALL, as_=ant_parent)
    # A guardian of another group: not Bjørnene's list; their own group's list, only it.
    assert await _list(client, s["bears_group"], ant_parent) == []
    ants = await _list(client, s["ants_group"], ant_parent)
    assert [r["childId"] for r in ants] == [s["ant"]["id"]]
    assert await _list(client, s["ants_group"], METTE) == []
    # Another institution's people; and Mette's choice for Liva is not shown in Oscar's group.
    for outsider in (REGNBUEN_ADMIN, LARS):
        assert await _list(client, s["bears_group"], outsider) == [], outsider
    zero_a = await group_id(client, REGNBUEN_ADMIN, "0.A")
    assert await _list(client, zero_a, LARS) == []
    assert await _list(client, zero_a, METTE) == []


async def test_a_guardian_chooses_only_for_their_own_children(client):
    s = await solsikken(client)
    neighbour = s["others"][0]
    answer = await client.gql(
        "SetContactSharing", {"childId": neighbour["id"], "input": SHOW_ALL}, as_=METTE
    )
    assert answer["setContactSharing"]["code"] == "NOT_FOUND"
    assert (await client.gql("ContactSharing", {"childId": neighbour["id"]}, as_=METTE))[
        "contactSharing"
    ] is None
    assert await _list(client, s["bears_group"], PERNILLE) == []


async def test_the_list_costs_the_same_whatever_the_group_size(client, assert_max_queries):
    s = await solsikken(client)
    await _share(client, s["liva"], SHOW_ALL, as_=METTE)
    await _list(client, s["bears_group"], PERNILLE)  # the login is cached
    with assert_max_queries(12) as one:
        assert len(await _list(client, s["bears_group"], PERNILLE)) == 1
    for child in s["others"]:
        for guardian in child["guardians"]:
            await _share(client, child["id"], SHOW_ALL, as_=guardian["email"])
    with assert_max_queries(one.count) as many:
        rows = await _list(client, s["bears_group"], PERNILLE)
    assert len(rows) >= 1 + len(s["others"])
    assert many.count == one.count
