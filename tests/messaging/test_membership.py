"""Guardians' participation follows their children: recipients are resolved when a thread
starts (who joins a group later sees none of its old threads), and a guardian reached through
a child leaves when the child moves to another group or leaves the institution, or the link
to it ends or loses its access: what they had stays readable, nothing new arrives."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.db import utcnow
from app.ops.jobs import JobContext
from app.root.jobs import PERIODIC_JOBS
from tests.messaging.util import (
    JONAS,
    KARSTEN,
    METTE,
    PERNILLE,
    Demo,
    admin,
    bodies,
    demo,
    new_child,
    notified,
    send,
    started,
    thread,
)


def _child_of(d: Demo, group: str) -> dict[str, Any]:
    return next(c for c in d.children.values() if c["group"]["name"] == group and c["guardians"])


async def _has_left(client, thread_id: str, name: str) -> bool:
    staff_view = await thread(client, PERNILLE, thread_id)
    return next(p["hasLeft"] for p in staff_view["participants"] if p["name"] == name)


async def test_a_child_moving_group_takes_its_guardians_out_of_the_groups_broadcasts(
    client, runtime
):
    d = await demo(client)
    moving = d.other_bjornene_family()
    guardian = moving["guardians"][0]
    joining = _child_of(d, "Myrerne")
    newcomer = joining["guardians"][0]["email"]
    (broadcast,) = await started(
        client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]}, body="Før"
    )
    (about,) = await started(
        client, PERNILLE, d.institution, {"children": [moving["id"]]}, body="Om barnet"
    )
    await admin(client, "MoveChild", {"childId": moving["id"], "groupId": d.groups["Myrerne"]})
    await admin(client, "MoveChild", {"childId": joining["id"], "groupId": d.groups["Bjørnene"]})

    later = await send(client, PERNILLE, broadcast["id"], "Efter")
    # The family that moved keeps what it had, receives nothing new and cannot write there.
    assert await bodies(client, guardian["email"], broadcast["id"]) == ["Før"]
    assert guardian["email"] not in await notified(runtime, d.institution, later["id"])
    refused = await send(client, guardian["email"], broadcast["id"], "Hej")
    assert (refused["code"], refused["field"]) == ("INVALID", "threadId")
    assert await _has_left(client, broadcast["id"], guardian["name"]) is True
    # Mette, whose Liva stayed, receives it.
    assert (await bodies(client, METTE, broadcast["id"]))[0] == "Efter"
    assert METTE in await notified(runtime, d.institution, later["id"])
    # The family that joined later sees none of the group's old broadcasts; new ones, yes.
    assert await thread(client, newcomer, broadcast["id"]) is None
    (fresh,) = await started(client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]})
    assert await thread(client, newcomer, fresh["id"]) is not None
    assert await thread(client, guardian["email"], fresh["id"]) is None
    # A thread about the child follows the child, not its group.
    await send(client, PERNILLE, about["id"], "Stadig om barnet")
    assert await bodies(client, guardian["email"], about["id"]) == ["Stadig om barnet", "Om barnet"]


async def test_a_guardians_own_thread_and_other_children_keep_them_in(client):
    d = await demo(client)
    # Mette's own thread to the group's staff is hers, whatever happens to Liva's group.
    (own,) = await started(client, METTE, d.institution, {"groupStaff": [d.groups["Bjørnene"]]})
    # With a second child in Bjørnene, Liva's move leaves the group's broadcasts hers too.
    await new_child(client, d.groups["Bjørnene"], "Ida", METTE)
    (broadcast,) = await started(
        client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]}
    )
    await admin(
        client,
        "MoveChild",
        {"childId": d.child("Liva Holm-Jensen"), "groupId": d.groups["Frøerne"]},
    )
    await send(client, PERNILLE, own["id"], "Svar til Mette")
    await send(client, PERNILLE, broadcast["id"], "Til alle i Bjørnene")
    assert (await bodies(client, METTE, own["id"]))[0] == "Svar til Mette"
    assert (await bodies(client, METTE, broadcast["id"]))[0] == "Til alle i Bjørnene"
    # Jonas came only through Liva: the broadcast goes on without him.
    assert await bodies(client, JONAS, broadcast["id"]) == ["Husk gummistøvler i morgen."]


async def test_a_child_leaving_the_institution_ends_its_guardians_threads_after_the_last_day(
    client, runtime
):
    d = await demo(client)
    leaving = d.other_bjornene_family()
    guardian = leaving["guardians"][0]["email"]
    (about,) = await started(client, PERNILLE, d.institution, {"children": [leaving["id"]]})
    (everyone,) = await started(client, PERNILLE, d.institution, {"allGuardians": True})
    # A staff thread the child's guardians were added to later.
    (staff_thread,) = await started(client, PERNILLE, d.institution, {"staff": [d.staff[KARSTEN]]})
    added = await client.gql(
        "AddThreadParticipants",
        {"threadId": staff_thread["id"], "recipients": {"children": [leaving["id"]]}},
        as_=PERNILLE,
    )
    assert added["addThreadParticipants"]["__typename"] == "Thread"
    threads = [about["id"], everyone["id"], staff_thread["id"]]

    # A last day still ahead changes nothing yet.
    last_day = date.today() + timedelta(days=3)
    await admin(client, "DeactivateChild", {"childId": leaving["id"], "lastDay": str(last_day)})
    for thread_id in threads:
        await send(client, PERNILLE, thread_id, "Inden sidste dag")
        assert (await bodies(client, guardian, thread_id))[0] == "Inden sidste dag"

    # The worker's hourly job after the last day: the past stays, nothing new arrives.
    job = next(j for j in PERIODIC_JOBS if j.name == "messaging-departed-children")
    assert job.every == timedelta(hours=1)
    context = JobContext(
        sessions=runtime.sessions,
        storage=runtime.storage,
        settings=runtime.settings,
        now=utcnow() + timedelta(days=4),
    )
    assert await job.run(context) >= len(threads)
    assert await job.run(context) == 0  # idempotent
    for thread_id in threads:
        later = await send(client, PERNILLE, thread_id, "Efter sidste dag")
        seen = await bodies(client, guardian, thread_id)
        assert seen and "Inden sidste dag" in seen and "Efter sidste dag" not in seen
        assert guardian not in await notified(runtime, d.institution, later["id"])


async def test_a_last_day_in_the_past_ends_at_once(client):
    d = await demo(client)
    leaving = d.other_bjornene_family()
    guardian = leaving["guardians"][0]["email"]
    (about,) = await started(client, PERNILLE, d.institution, {"children": [leaving["id"]]})
    yesterday = date.today() - timedelta(days=1)
    await admin(client, "DeactivateChild", {"childId": leaving["id"], "lastDay": str(yesterday)})
    await send(client, PERNILLE, about["id"], "For sent")
    assert await bodies(client, guardian, about["id"]) == ["Husk gummistøvler i morgen."]


async def test_a_link_losing_its_access_stops_what_is_new_about_that_child(client, runtime):
    d = await demo(client)
    liva = d.child("Liva Holm-Jensen")
    # A second child keeps Solsikken Mette's, whatever happens to her link to Liva.
    ida = await new_child(client, d.groups["Bjørnene"], "Ida", METTE)
    (about,) = await started(client, PERNILLE, d.institution, {"children": [liva]}, body="Før")
    (secret,) = await started(
        client, PERNILLE, d.institution, {"children": [liva]}, sensitive=True, body="Fortroligt"
    )
    (about_ida,) = await started(client, PERNILLE, d.institution, {"children": [ida]})
    link = d.guardian_link("Liva Holm-Jensen", METTE)

    # Information only: the sensitive thread is gone for her (as marking it sensitive does);
    # the others go on.
    await admin(
        client, "UpdateGuardianLink", {"input": {"guardianLinkId": link, "access": "INFORMATION"}}
    )
    assert await thread(client, METTE, secret["id"]) is None
    await send(client, PERNILLE, about["id"], "Stadig")
    assert await bodies(client, METTE, about["id"]) == ["Stadig", "Før"]

    # None: nothing new about Liva; what she had stays readable.
    await admin(client, "UpdateGuardianLink", {"input": {"guardianLinkId": link, "access": "NONE"}})
    later = await send(client, PERNILLE, about["id"], "Efter")
    assert await bodies(client, METTE, about["id"]) == ["Stadig", "Før"]
    assert METTE not in await notified(runtime, d.institution, later["id"])
    assert await _has_left(client, about["id"], "Mette Holm-Jensen") is True
    # Threads about her other child go on.
    await send(client, PERNILLE, about_ida["id"], "Om Ida")
    assert (await bodies(client, METTE, about_ida["id"]))[0] == "Om Ida"


async def test_an_ended_link_stops_new_messages_and_with_no_link_left_the_tenant_goes_too(
    client, runtime
):
    d = await demo(client)
    (about,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    assert await thread(client, JONAS, about["id"]) is not None
    await admin(
        client,
        "RemoveGuardianLink",
        {"guardianLinkId": d.guardian_link("Liva Holm-Jensen", JONAS)},
    )
    later = await send(client, PERNILLE, about["id"], "Efter")
    assert JONAS not in await notified(runtime, d.institution, later["id"])
    assert await _has_left(client, about["id"], "Jonas Jensen") is True
    # Liva was Jonas's only child here: without a link he is no longer a member of Solsikken,
    # and the tenancy (RLS and the visibility rules alike) shows him none of its threads.
    assert await thread(client, JONAS, about["id"]) is None
