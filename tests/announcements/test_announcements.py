"""Announcements (opslag): the audience resolved at posting, receipts, confirmations per child,
edits and deletes by the author, newest first with unread/unconfirmed filters."""

from __future__ import annotations

from datetime import date, timedelta

from tests.announcements.helpers import JONAS, METTE, PERNILLE, guardians_of_group, listed, post
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, institution_id

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


async def test_a_group_announcement_reaches_exactly_the_groups_guardians(client):
    made = await post(client, requiresConfirmation=True, dueOn=TOMORROW)
    assert made["__typename"] == "Announcement", made
    assert made["group"]["name"] == "Bjørnene" and made["authorName"] == "Pernille Holm"
    bjornene = await guardians_of_group(client, "Bjørnene")
    assert made["stats"] == {"recipients": len(bjornene), "read": 0, "confirmed": 0}
    assert {METTE, JONAS} <= bjornene
    for guardian in (METTE, JONAS, sorted(bjornene - {METTE, JONAS})[0]):
        seen = await listed(client, guardian)
        assert [a["id"] for a in seen] == [made["id"]], guardian
        assert seen[0]["myReceipt"] == {
            "readAt": None,
            "confirmedAt": None,
            "needsConfirmation": True,
        }
        assert seen[0]["stats"] is None  # the follow-up is the staff's
    outsider = sorted(await guardians_of_group(client, "Myrerne"))[0]
    assert await listed(client, outsider) == []
    # The whole staff of the institution sees it; Regnbuen does not.
    assert [a["id"] for a in await listed(client, SOLSIKKEN_ADMIN)] == [made["id"]]
    assert await listed(client, REGNBUEN_ADMIN) == []


async def test_a_sensitive_announcement_skips_information_only_guardians(client):
    made = await post(client, isSensitive=True, title="Lus i Bjørnene")
    assert made["isSensitive"] is True
    assert [a["id"] for a in await listed(client, METTE)] == [made["id"]]
    assert await listed(client, JONAS) == []
    node = await client.gql("AnnouncementNode", {"id": made["id"]}, as_=JONAS)
    assert node["node"] is None


async def test_an_institution_announcement_reaches_every_group(client):
    made = await post(client, group=None, title="Sommerfest")
    assert made["group"] is None
    everyone = set()
    for group in ("Bjørnene", "Myrerne", "Frøerne"):
        everyone |= await guardians_of_group(client, group)
    assert made["stats"]["recipients"] == len(everyone)
    # Mette's other child is in Regnbuen: she gets Solsikken's only through Liva.
    assert [a["title"] for a in await listed(client, METTE)] == ["Sommerfest"]


async def test_guardians_confirm_and_staff_see_who_has_not_per_child(client, assert_max_queries):
    made = await post(client, group=None, requiresConfirmation=True, dueOn=TOMORROW)
    await client.token_for(METTE)
    assert (await listed(client, METTE, unconfirmed=True))[0]["id"] == made["id"]
    read = await client.gql("MarkAnnouncementRead", {"announcementId": made["id"]}, as_=METTE)
    assert read["markAnnouncementRead"]["myReceipt"]["readAt"] is not None
    assert await listed(client, METTE, unread=True) == []
    assert len(await listed(client, METTE, unconfirmed=True)) == 1
    confirmed = await client.gql("ConfirmAnnouncement", {"announcementId": made["id"]}, as_=METTE)
    assert confirmed["confirmAnnouncement"]["myReceipt"]["confirmedAt"] is not None
    assert await listed(client, METTE, unconfirmed=True) == []
    with assert_max_queries(6):
        data = await client.gql("AnnouncementConfirmations", {"id": made["id"]}, as_=PERNILLE)
    node = data["node"]
    assert node["stats"]["confirmed"] == 1 and node["stats"]["read"] == 1
    children = {c["childId"]: c for c in node["confirmations"]}
    assert len(children) == 36  # every active child of Solsikken's three groups
    liva = next(c for c in children.values() if c["childName"] == "Liva Holm-Jensen")
    assert liva["confirmed"] is True
    by_name = {g["name"]: g for g in liva["guardians"]}
    assert by_name["Mette Holm-Jensen"]["confirmedAt"] is not None
    assert by_name["Jonas Jensen"]["confirmedAt"] is None
    assert sum(c["confirmed"] for c in children.values()) == 1
    # Guardians do not see the follow-up.
    mine = await client.gql("AnnouncementConfirmations", {"id": made["id"]}, as_=METTE)
    assert mine["node"]["confirmations"] is None and mine["node"]["stats"] is None


async def test_the_overview_costs_the_same_for_a_group_and_the_institution(
    client, assert_max_queries
):
    small = await post(client, requiresConfirmation=True)
    large = await post(client, group=None, requiresConfirmation=True)
    counts = []
    for made in (small, large):
        with assert_max_queries(6) as counter:
            await client.gql("AnnouncementConfirmations", {"id": made["id"]}, as_=PERNILLE)
        counts.append(counter.count)
    assert counts[0] == counts[1]


async def test_confirming_what_needs_no_confirmation_is_refused(client):
    made = await post(client)
    result = await client.gql("ConfirmAnnouncement", {"announcementId": made["id"]}, as_=METTE)
    assert result["confirmAnnouncement"]["code"] == "CONFLICT"
    staff = await client.gql("ConfirmAnnouncement", {"announcementId": made["id"]}, as_=PERNILLE)
    assert staff["confirmAnnouncement"]["code"] == "NOT_FOUND"


async def test_bad_input_is_refused_and_nothing_is_written(client):
    cases = [
        ({"title": "  "}, "title"),
        ({"body": ""}, "body"),
        ({"title": "x" * 201}, "title"),
        ({"dueOn": TOMORROW}, "dueOn"),
        ({"requiresConfirmation": True, "dueOn": "2000-01-01"}, "dueOn"),
        ({"groupId": await institution_id(client, SOLSIKKEN_ADMIN)}, "groupId"),
    ]
    for fields, field in cases:
        result = await post(client, **fields)
        assert result["field"] == field, (fields, result)
    regnbuen = await institution_id(client, REGNBUEN_ADMIN)
    foreign = await post(client, group=None, institutionId=regnbuen)
    assert foreign["code"] == "NOT_FOUND"
    guardian = await post(client, as_=METTE)
    assert guardian["code"] == "NOT_FOUND"
    assert await listed(client, SOLSIKKEN_ADMIN) == []
    assert await listed(client, METTE) == []


async def test_only_the_author_edits_and_deletes(client):
    made = await post(client, requiresConfirmation=True)
    for other in (SOLSIKKEN_ADMIN, METTE, REGNBUEN_ADMIN):
        edit = await client.gql(
            "UpdateAnnouncement", {"announcementId": made["id"], "input": {"title": "X"}}, as_=other
        )
        assert edit["updateAnnouncement"]["code"] == "NOT_FOUND", other
        gone = await client.gql("DeleteAnnouncement", {"announcementId": made["id"]}, as_=other)
        assert gone["deleteAnnouncement"]["code"] == "NOT_FOUND", other
    edited = await client.gql(
        "UpdateAnnouncement",
        {"announcementId": made["id"], "input": {"title": "Tur i parken", "dueOn": TOMORROW}},
        as_=PERNILLE,
    )
    assert edited["updateAnnouncement"]["title"] == "Tur i parken"
    assert edited["updateAnnouncement"]["dueOn"] == TOMORROW
    assert (await listed(client, METTE))[0]["title"] == "Tur i parken"
    blank = await client.gql(
        "UpdateAnnouncement", {"announcementId": made["id"], "input": {"body": " "}}, as_=PERNILLE
    )
    assert blank["updateAnnouncement"]["field"] == "body"
    deleted = await client.gql("DeleteAnnouncement", {"announcementId": made["id"]}, as_=PERNILLE)
    assert deleted["deleteAnnouncement"]["__typename"] == "AnnouncementDeleted"
    assert await listed(client, METTE) == []
    assert (await client.gql("AnnouncementNode", {"id": made["id"]}, as_=PERNILLE))["node"] is None


async def test_newest_first_in_pages_with_a_bounded_statement_count(client, assert_max_queries):
    titles = [f"Opslag {n}" for n in range(5)]
    for title in titles:
        await post(client, title=title)
    await client.token_for(METTE)  # the login is not what is measured
    await client.token_for(PERNILLE)
    seen: list[str] = []
    after = None
    while True:
        with assert_max_queries(10):
            data = await client.gql("Announcements", {"first": 2, "after": after}, as_=METTE)
        page = data["announcements"]
        seen += [e["node"]["title"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(reversed(titles))
    counts = []
    for first in (1, 5):
        with assert_max_queries(10) as counter:
            await client.gql("Announcements", {"first": first}, as_=PERNILLE)
        counts.append(counter.count)
    assert counts[0] == counts[1]


async def test_recipients_get_an_inbox_event_with_ids_only(client, runtime):
    import asyncio

    from tests.notifications.helpers import user_id

    mette = await user_id(runtime, METTE)
    async with runtime.broker.subscribe(f"inbox:{mette}") as events:
        made = await post(client, title="Nyt i Bjørnene")
        event = await asyncio.wait_for(events.__anext__(), timeout=5)
    assert event["kind"] == "announcement"
    assert set(event) == {"kind", "announcement_id"}
    from strawberry.relay import GlobalID

    assert event["announcement_id"] == GlobalID.from_id(made["id"]).node_id


async def test_a_guardian_without_custody_confirms_only_where_the_institution_allows_it(client):
    made = await post(client, requiresConfirmation=True)
    refused = await client.gql("ConfirmAnnouncement", {"announcementId": made["id"]}, as_=JONAS)
    refused = refused["confirmAnnouncement"]
    assert refused["code"] == "INVALID" and refused["reason"] == "CONFIRMATION_NEEDS_CUSTODY"
    assert refused["message"].startswith("Kun en forælder med forældremyndighed")
    assert (await listed(client, JONAS, unconfirmed=True))[0]["id"] == made["id"]  # unchanged
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    allowed = await client.gql(
        "UpdateInstitutionSettings",
        {"institution": iid, "input": {"custodyLessGuardiansMayConfirm": True}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert allowed["updateInstitutionSettings"]["settings"]["custodyLessGuardiansMayConfirm"]
    confirmed = await client.gql("ConfirmAnnouncement", {"announcementId": made["id"]}, as_=JONAS)
    assert confirmed["confirmAnnouncement"]["myReceipt"]["confirmedAt"] is not None
