"""Threads: who receives what (access levels, families, broadcasts, shared inboxes)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, overview
from tests.messaging.util import (
    JONAS,
    KARSTEN,
    LARS,
    METTE,
    PERNILLE,
    admin,
    demo,
    inbox,
    new_child,
    send,
    start,
    started,
    thread,
)


async def test_a_thread_about_a_child_reaches_its_guardians_and_nobody_else(client):
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    assert [c["name"] for c in t["children"]] == ["Liva Holm-Jensen"]
    mette = await inbox(client, METTE)
    mine = next(x for x in mette if x["id"] == t["id"])
    assert mine["unreadCount"] == 1
    assert mine["lastMessage"]["body"] == "Husk gummistøvler i morgen."
    assert mine["lastMessage"]["sender"]["name"] == "Pernille Holm"
    assert mine["lastMessage"]["sender"]["role"] == "STAFF"
    assert "Pernille Holm" in mine["participantsSummary"]
    # Jonas (information only) receives what any guardian receives.
    assert t["id"] in [x["id"] for x in await inbox(client, JONAS)]
    # Another family and another institution see nothing.
    other = d.other_bjornene_family()["guardians"][0]["email"]
    assert await thread(client, other, t["id"]) is None
    assert await thread(client, LARS, t["id"]) is None
    # The sender has read their own message.
    assert (await thread(client, PERNILLE, t["id"]))["unreadCount"] == 0


async def test_sensitive_threads_skip_information_only_guardians(client):
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}, sensitive=True
    )
    assert t["sensitive"] is True
    assert await thread(client, METTE, t["id"]) is not None
    assert await thread(client, JONAS, t["id"]) is None


async def test_guardians_with_access_none_receive_nothing_about_the_child(client):
    d = await demo(client)
    link = d.guardian_link("Liva Holm-Jensen", JONAS)
    changed = await client.gql(
        "UpdateGuardianLink",
        {"input": {"guardianLinkId": link, "access": "NONE"}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert changed["updateGuardianLink"]["__typename"] == "GuardianLink"
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    assert await thread(client, JONAS, t["id"]) is None
    broadcast = await started(client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]})
    assert await thread(client, JONAS, broadcast[0]["id"]) is None
    # And naming him directly is refused.
    refused = await start(client, PERNILLE, d.institution, {"guardians": [link]})
    assert refused["code"] == "INVALID" and refused["field"] == "recipients.guardians"


async def test_several_children_fan_out_into_one_thread_per_family(client):
    d = await demo(client)
    other = d.other_bjornene_family()
    threads = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen"), other["id"]]},
    )
    assert len(threads) == 2
    by_child = {t["children"][0]["name"]: t for t in threads}
    liva, theirs = by_child["Liva Holm-Jensen"], by_child[other["name"]]
    other_parent = other["guardians"][0]["email"]
    assert await thread(client, other_parent, liva["id"]) is None
    assert await thread(client, METTE, theirs["id"]) is None
    seen = await thread(client, other_parent, theirs["id"])
    assert [c["name"] for c in seen["children"]] == [other["name"]]
    assert all(p["name"] not in ("Mette Holm-Jensen", "Jonas Jensen") for p in seen["participants"])


async def test_a_broadcast_hides_recipients_and_replies_go_to_staff_only(client):
    d = await demo(client)
    (t,) = await started(client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]})
    assert t["isBroadcast"] is True
    # Pernille sees the whole list; Mette sees the staff and herself, and the audience.
    staff_view = await thread(client, PERNILLE, t["id"])
    assert len(staff_view["participants"]) > 3
    mette_view = await thread(client, METTE, t["id"])
    names = {p["name"] for p in mette_view["participants"]}
    assert names == {"Pernille Holm", "Mette Holm-Jensen"}
    assert mette_view["audience"] == "Forældre i Bjørnene"
    assert "Forældre i Bjørnene" in mette_view["participantsSummary"]
    # Mette's reply opens her own thread with the staff.
    reply = await send(client, METTE, t["id"], "Vi kommer!")
    assert reply["__typename"] == "Message"
    reply_thread = reply["thread"]["id"]
    assert reply_thread != t["id"]
    assert (await thread(client, METTE, reply_thread))["parentThread"]["id"] == t["id"]
    other_parent = d.other_bjornene_family()["guardians"][0]["email"]
    assert await thread(client, other_parent, reply_thread) is None
    other_view = await thread(client, other_parent, t["id"])
    assert [e["node"]["body"] for e in other_view["messages"]["edges"]] == [
        "Husk gummistøvler i morgen."
    ]
    staff_reply = await thread(client, PERNILLE, reply_thread)
    assert staff_reply["unreadCount"] == 1
    # A second reply lands in the same reply thread.
    again = await send(client, METTE, t["id"], "Og vi tager madpakke med.")
    assert again["thread"]["id"] == reply_thread


async def test_reply_to_all_keeps_the_conversation_together(client):
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]}, replyToAll=True
    )
    reply = await send(client, METTE, t["id"], "Tak!")
    assert reply["thread"]["id"] == t["id"]
    other_parent = d.other_bjornene_family()["guardians"][0]["email"]
    seen = await thread(client, other_parent, t["id"])
    assert "Tak!" in [e["node"]["body"] for e in seen["messages"]["edges"]]
    assert len(seen["participants"]) > 3


async def test_a_guardian_writes_to_the_group_inbox_and_any_of_its_staff_answers(client):
    d = await demo(client)
    (t,) = await started(client, METTE, d.institution, {"groupInboxes": [d.groups["Bjørnene"]]})
    assert any(p["kind"] == "GROUP_INBOX" and p["name"] == "Bjørnene" for p in t["participants"])
    assert t["id"] in [x["id"] for x in await inbox(client, PERNILLE)]
    assert await thread(client, KARSTEN, t["id"]) is None  # Myrerne's pædagog
    answer = await send(client, PERNILLE, t["id"], "Det er noteret.")
    assert answer["sender"]["name"] == "Pernille Holm"
    assert answer["sender"]["group"]["name"] == "Bjørnene"
    mette_view = await thread(client, METTE, t["id"])
    last = mette_view["lastMessage"]
    assert last["sender"]["name"] == "Bjørnene"
    # Karsten joins Bjørnene later and sees the shared inbox's threads, old ones included.
    karsten = d.staff[KARSTEN]
    moved = await client.gql(
        "UpdateStaff",
        {"input": {"staffId": karsten, "groupIds": [d.groups["Myrerne"], d.groups["Bjørnene"]]}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert moved["updateStaff"]["__typename"] == "StaffMember"
    seen = await thread(client, KARSTEN, t["id"])
    assert seen is not None and seen["unreadCount"] == 2


async def test_guardians_write_to_their_childrens_staff_and_admins_only(client):
    d = await demo(client)
    ok = await start(client, METTE, d.institution, {"staff": [d.staff[PERNILLE]]})
    assert ok["__typename"] == "ThreadsStarted"
    admins = await start(client, METTE, d.institution, {"institutionInbox": True})
    assert admins["__typename"] == "ThreadsStarted"
    assert admins["threads"][0]["id"] in [x["id"] for x in await inbox(client, SOLSIKKEN_ADMIN)]
    not_mine = await start(client, METTE, d.institution, {"staff": [d.staff[KARSTEN]]})
    assert not_mine["code"] == "NOT_FOUND"
    group = await start(client, METTE, d.institution, {"groups": [d.groups["Bjørnene"]]})
    assert group["code"] == "NOT_FOUND"
    other = d.other_bjornene_family()
    peer = await start(client, METTE, d.institution, {"guardians": [other["guardians"][0]["id"]]})
    assert peer["code"] == "INVALID" and peer["field"] == "recipients.guardians"


async def test_guardians_message_guardians_where_the_institution_allows_it(client):
    d = await demo(client)
    other = d.other_bjornene_family()
    changed = await client.gql(
        "UpdateInstitutionSettings",
        {"institution": d.institution, "input": {"guardiansMayMessageGuardians": True}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert "errors" not in changed
    (t,) = await started(client, METTE, d.institution, {"guardians": [other["guardians"][0]["id"]]})
    assert await thread(client, other["guardians"][0]["email"], t["id"]) is not None


async def test_staff_address_staff_and_a_groups_staff(client):
    d = await demo(client)
    (t,) = await started(
        client, SOLSIKKEN_ADMIN, d.institution, {"groupStaff": [d.groups["Myrerne"]]}
    )
    assert await thread(client, KARSTEN, t["id"]) is not None
    assert await thread(client, PERNILLE, t["id"]) is None
    (s,) = await started(client, KARSTEN, d.institution, {"staff": [d.staff[PERNILLE]]})
    assert await thread(client, PERNILLE, s["id"]) is not None


async def test_all_guardians_of_the_institution_and_nobody_else(client, runtime):
    d = await demo(client)
    by_group = {
        group: next(
            c for c in d.children.values() if c["group"]["name"] == group and c["guardians"]
        )
        for group in ("Bjørnene", "Myrerne", "Frøerne")
    }
    # Guardians of a child whose enrolment has ended are not "the institution's" any more
    # (one with no other child here: demo children may share a name, and so their parents).
    everyone = [e["node"] for e in (await overview(client, SOLSIKKEN_ADMIN))["children"]["edges"]]
    links = Counter(g["email"] for c in everyone for g in c["guardians"])
    ended = next(
        c
        for c in everyone
        if c["group"]["name"] == "Frøerne"
        and c["guardians"]
        and c["id"] != by_group["Frøerne"]["id"]
        and all(links[g["email"]] == 1 for g in c["guardians"])
    )
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    await admin(client, "DeactivateChild", {"childId": ended["id"], "lastDay": yesterday})
    regnbuen = await overview(client, REGNBUEN_ADMIN)
    elsewhere = next(
        e["node"]["guardians"][0]["email"]
        for e in regnbuen["children"]["edges"]
        if e["node"]["guardians"] and e["node"]["name"] != "Oscar Holm-Jensen"
    )
    (t,) = await started(client, PERNILLE, d.institution, {"allGuardians": True})
    assert t["isBroadcast"] is True and t["audience"] == "Alle forældre"
    for child in by_group.values():
        for guardian in child["guardians"]:
            seen = await thread(client, guardian["email"], t["id"])
            assert seen is not None and seen["audience"] == "Alle forældre"
            # A broadcast's recipient list stays hidden from guardians.
            assert {p["name"] for p in seen["participants"]} == {"Pernille Holm", guardian["name"]}
    assert await thread(client, JONAS, t["id"]) is not None  # information only: not sensitive
    assert await thread(client, ended["guardians"][0]["email"], t["id"]) is None
    assert await thread(client, elsewhere, t["id"]) is None
    # Every family of the institution is in it once, as the staff member sees it.
    staff_view = await thread(client, PERNILLE, t["id"])
    expected = {
        g["email"]
        for c in everyone
        if c["id"] != ended["id"]
        for g in c["guardians"]
        if g["access"] != "NONE"
    }
    assert len(staff_view["participants"]) == len(expected) + 1


async def test_siblings_share_one_thread_and_another_family_gets_its_own(client):
    d = await demo(client)
    # Liva's sister, with the same guardians: Mette (full) and Jonas (information only).
    ida = await new_child(client, d.groups["Myrerne"], "Ida", METTE)
    await admin(
        client,
        "AddGuardian",
        {
            "input": {
                "childId": ida,
                "email": JONAS,
                "name": "Jonas Jensen",
                "hasCustody": False,
                "access": "INFORMATION",
            }
        },
    )
    other = d.other_bjornene_family()
    threads = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen"), ida, other["id"]]},
    )
    assert len(threads) == 2
    ours = next(t for t in threads if len(t["children"]) == 2)
    theirs = next(t for t in threads if len(t["children"]) == 1)
    assert sorted(c["name"] for c in ours["children"]) == ["Ida Holm-Jensen", "Liva Holm-Jensen"]
    assert [c["name"] for c in theirs["children"]] == [other["name"]]
    for sibling_parent in (METTE, JONAS):
        assert await thread(client, sibling_parent, ours["id"]) is not None
        assert await thread(client, sibling_parent, theirs["id"]) is None
    for parent in other["guardians"]:
        assert await thread(client, parent["email"], theirs["id"]) is not None
        assert await thread(client, parent["email"], ours["id"]) is None
    # Filtered by either child, Mette's inbox shows the one shared thread.
    for child in (ida, d.child("Liva Holm-Jensen")):
        assert [x["id"] for x in await inbox(client, METTE, childId=child)] == [ours["id"]]
