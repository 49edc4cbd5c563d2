"""What the demo seeds besides the daily log is there at first start, and each demo login sees
through the API what its role may see: threads, an announcement awaiting confirmation, pickup
plans, photos under different consents, a pending invitation, an upcoming closed day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from app.ops.demo_life import CLOSED_DAY_LABEL, INVITED_STAFF, seed_life
from tests.client import GraphQLClient
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import JONAS, METTE, PERNILLE, demo

INBOX = (
    "query DemoInbox { inbox(first: 50) { nodes { subject sensitive isBroadcast"
    " parentThread { subject } lastMessage { body } } } }"
)
ANNOUNCEMENTS = (
    "query DemoAnnouncements { announcements(unconfirmed: true) { nodes { title"
    " requiresConfirmation dueOn } } }"
)
ALBUM = (
    "query DemoAlbum($groupId: ID!) { photoAlbum(groupId: $groupId) {"
    " photos { nodes { caption } } } }"
)
PLAN = (
    "query DemoPlan($childId: ID!, $start: Date!, $end: Date!) {"
    " pickupPlan(childId: $childId, start: $start, end: $end) {"
    " day entry { leaveMode companionStatus note } } }"
)
INVITATIONS = "query DemoInvitations($id: ID!) { invitations(institutionId: $id) { email status } }"
CLOSED = (
    "query DemoClosed($id: ID!, $from: Date!, $to: Date!) {"
    " closedDays(institutionId: $id, from: $from, to: $to) { day kind label } }"
)


@pytest.fixture(autouse=True)
async def first_day(runtime, db):
    """The suite's shared demo is the bare one (its tests count from it): the first day is
    seeded here, inside the test's transaction, as `seddel demo` seeds it after the rest."""
    await seed_life(db, runtime.settings, runtime.storage)
    await db.close()


async def _data(client: GraphQLClient, query: str, as_: str, **variables: Any) -> Any:
    name = query.split()[1].split("(")[0]
    payload = await client.execute(name, variables, query=query, as_=as_)
    assert not payload.get("errors"), payload
    return payload["data"]


async def _subjects(client: GraphQLClient, as_: str) -> dict[str, dict[str, Any]]:
    data = await _data(client, INBOX, as_)
    return {t["subject"]: t for t in data["inbox"]["nodes"]}


async def test_threads_reach_the_family_and_the_staff(client):
    mette = await _subjects(client, METTE)
    assert mette["Velkommen til ugen i Bjørnene"]["isBroadcast"]
    assert not mette["Livas skiftetøj"]["sensitive"]
    assert mette["Samtale om Livas trivsel"]["sensitive"]
    jonas = await _subjects(client, JONAS)  # no custody: the family thread, not the sensitive one
    assert "Livas skiftetøj" in jonas and "Samtale om Livas trivsel" not in jonas
    pernille = await client.execute("DemoInbox", {}, query=INBOX, as_=PERNILLE)
    replies = [
        t
        for t in pernille["data"]["inbox"]["nodes"]
        if (t["parentThread"] or {}).get("subject") == "Velkommen til ugen i Bjørnene"
    ]
    assert [t["lastMessage"]["body"] for t in replies] == [
        "Dejligt! Liva har allerede en pose kastanjer klar."
    ]


async def test_an_announcement_awaits_mettes_confirmation(client):
    data = await _data(client, ANNOUNCEMENTS, METTE)
    (waiting,) = [a for a in data["announcements"]["nodes"] if a["requiresConfirmation"]]
    assert waiting["title"] == "Tur til skoven på torsdag"
    assert date.fromisoformat(waiting["dueOn"]) > date.today()


async def test_photos_follow_the_consents(client):
    ids = await demo(client)
    bjornene = ids.groups["Bjørnene"]

    async def captions(as_: str) -> set[str]:
        data = await _data(client, ALBUM, as_, groupId=bjornene)
        return {p["caption"] for p in data["photoAlbum"]["photos"]["nodes"]}

    everything = {"Liva på legepladsen", "Sandkassen", "Maling med fingrene", "Klodsbyen"}
    assert await captions(PERNILLE) == everything
    # "Klodsbyen" shows a child whose guardians keep photos to themselves.
    assert await captions(METTE) == everything - {"Klodsbyen"}
    assert await captions(JONAS) == everything - {"Klodsbyen"}


async def test_todays_pickup_plans(client):
    ids = await demo(client)
    liva = ids.child("Liva Holm-Jensen")
    start, end = date.today(), date.today() + timedelta(days=14)
    data = await _data(client, PLAN, METTE, childId=liva, start=str(start), end=str(end))
    (planned,) = [d for d in data["pickupPlan"] if d["entry"]]
    assert planned["entry"]["leaveMode"] == "WITH_CHILD"
    assert planned["entry"]["companionStatus"] == "PENDING"
    me = await client.gql("Me", as_=METTE)
    oscar = next(c["id"] for c in me["me"]["children"] if c["name"].startswith("Oscar"))
    data = await _data(client, PLAN, METTE, childId=oscar, start=str(start), end=str(end))
    (planned,) = [d for d in data["pickupPlan"] if d["entry"]]
    assert planned["entry"]["leaveMode"] == "ALONE"


async def test_a_pending_invitation_and_an_upcoming_closed_day(client):
    ids = await demo(client)
    data = await _data(client, INVITATIONS, SOLSIKKEN_ADMIN, id=ids.institution)
    assert {"email": INVITED_STAFF[1], "status": "PENDING"} in data["invitations"]
    start, end = date.today(), date.today() + timedelta(days=30)
    data = await _data(
        client, CLOSED, SOLSIKKEN_ADMIN, id=ids.institution, **{"from": str(start), "to": str(end)}
    )
    assert [d["label"] for d in data["closedDays"] if d["label"] == CLOSED_DAY_LABEL]
