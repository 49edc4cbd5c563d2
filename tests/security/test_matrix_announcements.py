"""The security matrix for announcements: node() and lists answer strangers with null / nothing,
and every announcement mutation gives them NOT_FOUND (or UNAUTHENTICATED without a session)."""

from __future__ import annotations

from typing import Any

from tests.announcements.helpers import JONAS, METTE, PERNILLE, guardians_of_group, listed, post
from tests.security.test_matrix import STRANGER_ADMIN, STRANGER_STAFF, _revoked_token


async def _myrerne_announcement(client) -> dict[str, Any]:
    made = await post(client, group="Myrerne", requiresConfirmation=True, as_=PERNILLE)
    assert made["__typename"] == "Announcement"
    return made


async def test_node_and_lists_of_another_institution_or_family_are_empty(client):
    made = await _myrerne_announcement(client)
    strangers = (STRANGER_ADMIN, STRANGER_STAFF, METTE, JONAS)
    for stranger in strangers:
        assert (await client.gql("AnnouncementNode", {"id": made["id"]}, as_=stranger))[
            "node"
        ] is None
        assert (await client.gql("Nodes", {"ids": [made["id"]]}, as_=stranger))["nodes"] == [None]
        assert await listed(client, stranger) == []
    # The owner's view: the same node through node() as through the list.
    guardian = sorted(await guardians_of_group(client, "Myrerne"))[0]
    node = (await client.gql("AnnouncementNode", {"id": made["id"]}, as_=guardian))["node"]
    assert node["__typename"] == "Announcement" and node["title"] == made["title"]
    assert [a["id"] for a in await listed(client, guardian)] == [made["id"]]


async def _mutations(client, made: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    from tests.helpers import SOLSIKKEN_ADMIN, group_id, institution_id

    return [
        (
            "PostAnnouncement",
            {
                "input": {
                    "institutionId": await institution_id(client, SOLSIKKEN_ADMIN),
                    "groupId": await group_id(client, SOLSIKKEN_ADMIN, "Myrerne"),
                    "title": "X",
                    "body": "Y",
                }
            },
            "postAnnouncement",
        ),
        (
            "UpdateAnnouncement",
            {"announcementId": made["id"], "input": {"title": "X"}},
            "updateAnnouncement",
        ),
        ("DeleteAnnouncement", {"announcementId": made["id"]}, "deleteAnnouncement"),
        ("MarkAnnouncementRead", {"announcementId": made["id"]}, "markAnnouncementRead"),
        ("ConfirmAnnouncement", {"announcementId": made["id"]}, "confirmAnnouncement"),
    ]


async def test_every_announcement_mutation_is_not_found_for_strangers(client):
    made = await _myrerne_announcement(client)
    for actor in (STRANGER_ADMIN, STRANGER_STAFF, METTE, JONAS):
        for operation, variables, field in await _mutations(client, made):
            result = (await client.gql(operation, variables, as_=actor))[field]
            assert result["code"] == "NOT_FOUND", (actor, operation, result)
    guardian = sorted(await guardians_of_group(client, "Myrerne"))[0]
    node = (await client.gql("AnnouncementNode", {"id": made["id"]}, as_=guardian))["node"]
    assert node["title"] == made["title"] and node["myReceipt"]["readAt"] is None


async def test_every_announcement_mutation_needs_a_live_session(client):
    made = await _myrerne_announcement(client)
    revoked = await _revoked_token(client)
    for token in (None, revoked, "made-up-token"):
        for operation, variables, _ in await _mutations(client, made):
            payload = await client.execute(operation, variables, token=token)
            assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", operation
        for operation, variables in (
            ("Announcements", {}),
            ("AnnouncementNode", {"id": made["id"]}),
            ("AnnouncementConfirmations", {"id": made["id"]}),
            ("OverdueAnnouncementConfirmations", {"institutionId": await _solsikken(client)}),
        ):
            payload = await client.execute(operation, variables, token=token)
            assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", operation


async def _solsikken(client) -> str:
    from tests.helpers import SOLSIKKEN_ADMIN, institution_id

    return await institution_id(client, SOLSIKKEN_ADMIN)


async def test_the_overdue_view_is_the_institutions_staffs(client):
    """Another institution's admin and staff, and the institution's own guardians, get an
    empty list (tests/announcements/test_reminders.py shows the staff's own view)."""
    from tests.security.matrix import Case, assert_refused, empty

    overdue = Case(
        "OverdueAnnouncementConfirmations",
        {"institutionId": await _solsikken(client)},
        empty("overdueAnnouncementConfirmations"),
    )
    await assert_refused(client, [overdue], [STRANGER_ADMIN, STRANGER_STAFF, METTE, JONAS])


async def test_confirmations_and_attachments_cross_no_wall(client):
    """The confirmation list is the author's side: neither strangers nor the group's own
    guardians see it; a stranger cannot attach a Solsikken upload in their own institution."""
    from tests.files import pdf_bytes, upload
    from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, institution_id
    from tests.security.matrix import Case, assert_refused, not_found, null

    made = await _myrerne_announcement(client)
    guardian = sorted(await guardians_of_group(client, "Myrerne"))[0]
    confirmations = Case("AnnouncementConfirmations", {"id": made["id"]}, null("node"))
    await assert_refused(client, [confirmations], [STRANGER_ADMIN, STRANGER_STAFF, METTE])
    own = (await client.gql("AnnouncementConfirmations", {"id": made["id"]}, as_=guardian))["node"]
    assert own["title"] == made["title"]  # the announcement is hers, the follow-up is not
    assert own["stats"] is None and own["confirmations"] is None
    solsikken = await institution_id(client, SOLSIKKEN_ADMIN)
    pernilles = await upload(
        client,
        as_=PERNILLE,
        institution=solsikken,
        purpose="attachment",
        filename="madplan.pdf",
        data=pdf_bytes(),
    )
    foreign = Case(
        "PostAnnouncement",
        {
            "input": {
                "institutionId": await institution_id(client, REGNBUEN_ADMIN),
                "title": "X",
                "body": "Y",
                "attachmentIds": [pernilles["id"]],
            }
        },
        not_found("postAnnouncement"),
    )
    await assert_refused(client, [foreign], [STRANGER_ADMIN, STRANGER_STAFF])
    assert await listed(client, STRANGER_ADMIN) == []
