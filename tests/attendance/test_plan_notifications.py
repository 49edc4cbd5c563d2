"""Notifications of the pickup plan, through the GraphQL API: a child sent home tells its
guardians at once; a "goes home with" request tells the other child's custody guardians, and
the answer tells the requesting family. Sender and link only: no reason, no note."""

from __future__ import annotations

from typing import Any

from app.db import utcnow
from tests.attendance.plan_helpers import (
    JONAS,
    METTE,
    PERNILLE,
    day,
    family,
    raw_uuid,
    set_plan,
)
from tests.helpers import SOLSIKKEN_ADMIN, overview
from tests.notifications.helpers import outbox, user_id


async def _guardians(client: Any, child: str) -> list[dict[str, Any]]:
    node = await overview(client, SOLSIKKEN_ADMIN)
    found: list[dict[str, Any]] = next(
        e["node"]["guardians"] for e in node["children"]["edges"] if e["node"]["id"] == child
    )
    return found


async def _users(runtime: Any, emails: list[str]) -> set[Any]:
    return {await user_id(runtime, email) for email in emails}


async def test_sending_a_child_home_tells_its_guardians_with_access_at_once(
    client, runtime, plan_clock
):
    f = await family(client)
    sent = (
        await client.gql(
            "SendChildHome", {"childId": f["liva"], "reason": "Feber, 39 grader"}, as_=PERNILLE
        )
    )["sendChildHome"]
    entry = raw_uuid(sent["id"])
    rows = await outbox(runtime, kind="sent_home")
    assert {r.user_id for r in rows} == await _users(runtime, [METTE, JONAS])
    assert await user_id(runtime, f["friend_parent"]) not in {r.user_id for r in rows}
    assert {(r.sender_name, r.link) for r in rows} == {("Pernille Holm", f"/pickup-plans/{entry}")}
    # The reason is health data: it stays off lock screens and out of e-mails.
    assert all(r.preview is None for r in rows)
    assert not any("Feber" in f"{r.sender_name} {r.link} {r.preview}" for r in rows)
    # At once, as an incident: push is due now (no quiet hours set), e-mail joins the digest.
    push = [r for r in rows if r.channel == "push"]
    assert len(push) == 2 and all(r.due_at <= utcnow() for r in push)
    assert sorted(r.channel for r in rows) == ["email", "email", "push", "push"]

    # A guardian whose access is "none" is not told; sending home again tells anew.
    jonas_link = f["liva_links"][JONAS]
    changed = await client.gql(
        "UpdateGuardianLink",
        {"input": {"guardianLinkId": jonas_link, "access": "NONE"}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert changed["updateGuardianLink"]["access"] == "NONE"
    plan_clock.at_local(10, 30)
    again = await client.gql(
        "SendChildHome", {"childId": f["liva"], "reason": "Kaster op"}, as_=PERNILLE
    )
    assert again["sendChildHome"]["leaveMode"] == "SENT_HOME"
    later = [r for r in await outbox(runtime, kind="sent_home") if r.id not in {x.id for x in rows}]
    assert {r.user_id for r in later} == await _users(runtime, [METTE])
    assert len({r.subject_id for r in later}) == 1 and later[0].subject_id != rows[0].subject_id


async def test_a_companion_request_tells_the_other_family_and_the_answer_comes_back(
    client, runtime, plan_clock
):
    f = await family(client)
    friends_guardians = await _guardians(client, f["friend"])
    custody = [g["email"] for g in friends_guardians if g["hasCustody"] and g["access"] == "FULL"]
    assert f["friend_parent"] in custody
    asked = await set_plan(
        client,
        f["liva"],
        day=day(2),
        leaveMode="WITH_CHILD",
        pickup="15:00",
        companionChildId=f["friend"],
        note="Legeaftale hos os",
    )
    entry = raw_uuid(asked["id"])
    requests = await outbox(runtime, kind="pickup_companion_request")
    assert {r.user_id for r in requests} == await _users(runtime, custody)
    assert {(r.sender_name, r.link, r.preview) for r in requests} == {
        ("Mette Holm-Jensen", f"/pickup-plans/{entry}", None)
    }

    # Only the note changes: the same request, nobody is asked again.
    await set_plan(
        client,
        f["liva"],
        day=day(2),
        leaveMode="WITH_CHILD",
        pickup="15:00",
        companionChildId=f["friend"],
        note="Med cykel",
    )
    assert len(await outbox(runtime, kind="pickup_companion_request")) == len(requests)
    # Another time is a new request: asked again.
    await set_plan(
        client,
        f["liva"],
        day=day(2),
        leaveMode="WITH_CHILD",
        pickup="16:00",
        companionChildId=f["friend"],
    )
    assert len(await outbox(runtime, kind="pickup_companion_request")) == 2 * len(requests)

    accepted = await client.gql(
        "AnswerPickupCompanion", {"entryId": asked["id"], "accept": True}, as_=f["friend_parent"]
    )
    assert accepted["answerPickupCompanion"]["companionStatus"] == "ACCEPTED"
    answers = await outbox(runtime, kind="pickup_companion_answer")
    assert {r.user_id for r in answers} == await _users(runtime, [METTE, JONAS])
    friend_parent = next(g["name"] for g in friends_guardians if g["email"] == f["friend_parent"])
    assert {(r.sender_name, r.link, r.preview) for r in answers} == {
        (friend_parent, f"/pickup-plans/{entry}", None)
    }
