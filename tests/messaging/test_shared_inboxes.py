"""Shared inboxes (fællespostkasse): staff write and answer as the group or the institution;
guardians see the group's (or institution's) name, or the staff member's where the
institution's setting says so; staff always see who wrote."""

from __future__ import annotations

from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import (
    JONAS,
    KARSTEN,
    METTE,
    PERNILLE,
    admin,
    demo,
    inbox,
    send,
    start,
    started,
    thread,
)


async def _show_staff_names(client, institution: str) -> None:
    changed = await admin(
        client,
        "UpdateInstitutionSettings",
        {"institution": institution, "input": {"sharedInboxSenderShownToGuardians": "STAFF"}},
    )
    assert changed["settings"]["sharedInboxSenderShownToGuardians"] == "STAFF"


async def test_guardians_see_the_staff_members_name_where_the_institution_says_so(client):
    d = await demo(client)
    (t,) = await started(client, METTE, d.institution, {"groupInboxes": [d.groups["Bjørnene"]]})
    await _show_staff_names(client, d.institution)
    answer = await send(client, PERNILLE, t["id"], "Det er noteret.")
    assert answer["sender"]["group"]["name"] == "Bjørnene"
    last = (await thread(client, METTE, t["id"]))["lastMessage"]
    assert last["sender"]["name"] == "Pernille Holm"
    assert last["sender"]["group"]["name"] == "Bjørnene"  # still an answer from the group
    assert (await thread(client, PERNILLE, t["id"]))["lastMessage"]["sender"]["name"] == (
        "Pernille Holm"
    )


async def test_staff_answer_as_the_institution_inbox(client):
    d = await demo(client)
    (t,) = await started(client, METTE, d.institution, {"institutionInbox": True})
    # The institution's inbox is its admins'; a pædagog does not see it.
    assert await thread(client, PERNILLE, t["id"]) is None
    answer = await send(client, SOLSIKKEN_ADMIN, t["id"], "Vi ringer i morgen.")
    assert answer["__typename"] == "Message"
    assert answer["sender"]["name"] == "Leder af Solsikken"  # staff see who wrote
    mette_view = await thread(client, METTE, t["id"])
    assert mette_view["lastMessage"]["sender"]["name"] == "Solsikken"
    assert mette_view["lastMessage"]["sender"]["institution"]["name"] == "Solsikken"
    assert mette_view["unreadCount"] == 1
    # The admin answered from the inbox, not personally: no personal participant was added.
    assert "Leder af Solsikken" not in {p["name"] for p in mette_view["participants"]}
    # Where the institution shows staff names, Mette sees who answered.
    await _show_staff_names(client, d.institution)
    assert (await thread(client, METTE, t["id"]))["lastMessage"]["sender"]["name"] == (
        "Leder af Solsikken"
    )


async def test_staff_write_from_their_groups_shared_inbox(client):
    d = await demo(client)
    (t,) = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen")]},
        asGroupId=d.groups["Bjørnene"],
    )
    kinds = {(p["kind"], p["name"]) for p in t["participants"]}
    assert ("GROUP_INBOX", "Bjørnene") in kinds
    assert ("USER", "Pernille Holm") not in kinds  # the group writes, not Pernille personally
    assert t["lastMessage"]["sender"]["group"]["name"] == "Bjørnene"
    for guardian in (METTE, JONAS):
        seen = await thread(client, guardian, t["id"])
        assert seen["lastMessage"]["sender"]["name"] == "Bjørnene"
    # Myrerne's pædagog does not see Bjørnene's inbox ...
    assert await thread(client, KARSTEN, t["id"]) is None
    # ... and Mette's answer reaches the group's staff.
    await send(client, METTE, t["id"], "Tak for besked")
    mine = next(x for x in await inbox(client, PERNILLE) if x["id"] == t["id"])
    assert mine["unreadCount"] == 1
    again = await send(client, PERNILLE, t["id"], "Velbekomme")
    assert again["sender"]["group"]["name"] == "Bjørnene"
    # Staff of another group, and guardians, cannot write as Bjørnene.
    refused = await start(
        client,
        KARSTEN,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen")]},
        asGroupId=d.groups["Bjørnene"],
    )
    assert (refused["code"], refused["field"]) == ("NOT_FOUND", "asGroupId")
    refused = await start(
        client,
        METTE,
        d.institution,
        {"groupInboxes": [d.groups["Bjørnene"]]},
        asGroupId=d.groups["Bjørnene"],
    )
    assert refused["code"] == "NOT_FOUND"
