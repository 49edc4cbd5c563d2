"""Shared inboxes' own away replies: set by the inbox's staff, sent as the inbox once per
thread and period when a guardian writes (a new thread or a reply), never to staff."""

from __future__ import annotations

from datetime import timedelta

from app.db import utcnow
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import METTE, PERNILLE, demo, send, started, thread

AWAY = "Stuen er lukket i dag; vi svarer i morgen."


async def _set(client, as_: str, institution: str, **fields) -> dict:
    data = await client.gql(
        "SetInboxAutoReply",
        {
            "institutionId": institution,
            "body": AWAY,
            "startsAt": (utcnow() - timedelta(hours=1)).isoformat(),
            "endsAt": (utcnow() + timedelta(days=1)).isoformat(),
            **fields,
        },
        as_=as_,
    )
    result: dict = data["setInboxAutoReply"]
    return result


def _autos(view: dict) -> list[dict]:
    return [e["node"] for e in view["messages"]["edges"] if e["node"]["isAutoReply"]]


async def test_a_group_inbox_answers_a_guardian_once_as_the_group(client):
    d = await demo(client)
    bears = d.groups["Bjørnene"]
    assert (await _set(client, PERNILLE, d.institution, groupId=bears))["__typename"] == (
        "AutoReplyInfo"
    )
    (t,) = await started(client, METTE, d.institution, {"groupInboxes": [bears]})
    (auto,) = _autos(await thread(client, METTE, t["id"]))
    assert auto["body"] == AWAY and auto["sender"]["group"]["name"] == "Bjørnene"
    await send(client, METTE, t["id"], "Tak, det haster ikke.")
    await send(client, PERNILLE, t["id"], "Vi ses i morgen.")  # staff set off nothing
    assert len(_autos(await thread(client, METTE, t["id"]))) == 1  # once per thread and period
    # A new period answers again; clearing it stops it.
    await _set(client, PERNILLE, d.institution, groupId=bears, startsAt=utcnow().isoformat())
    await send(client, METTE, t["id"], "Og i morgen?")
    assert len(_autos(await thread(client, METTE, t["id"]))) == 2
    cleared = await _set(client, PERNILLE, d.institution, groupId=bears, body="")
    assert cleared["__typename"] == "MessagingDone"
    await send(client, METTE, t["id"], "Hallo?")
    assert len(_autos(await thread(client, METTE, t["id"]))) == 2


async def test_the_institution_inbox_is_its_admins_to_set(client):
    d = await demo(client)
    refused = await _set(client, PERNILLE, d.institution)  # a pædagog, not an admin
    assert refused["code"] == "NOT_FOUND"
    guardian = await _set(client, METTE, d.institution, groupId=d.groups["Bjørnene"])
    assert guardian["code"] == "NOT_FOUND"
    assert (await _set(client, SOLSIKKEN_ADMIN, d.institution))["__typename"] == "AutoReplyInfo"
    (t,) = await started(client, METTE, d.institution, {"institutionInbox": True})
    view = await thread(client, METTE, t["id"])
    assert len(_autos(view)) == 1 and view["lastMessage"]["isAutoReply"] is True
    assert view["lastMessage"]["sender"]["name"] == "Solsikken"  # as the institution
    bad = await _set(
        client, SOLSIKKEN_ADMIN, d.institution, endsAt=(utcnow() - timedelta(days=2)).isoformat()
    )
    assert bad["field"] == "endsAt"
