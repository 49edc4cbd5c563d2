"""The inbox, read state, mute/archive/leave, participants, search, statement bounds."""

from __future__ import annotations

from datetime import timedelta

from app.api.ids import decode
from app.db import utcnow
from app.messaging.service.audience import recipients_to_notify
from app.messaging.service.retention import purge_expired_threads
from tests.conftest import is_postgres
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import (
    JONAS,
    KARSTEN,
    METTE,
    PERNILLE,
    demo,
    inbox,
    scoped,
    send,
    started,
    thread,
)


async def test_unread_counts_and_mark_read_up_to_a_message(client):
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    second = await send(client, PERNILLE, t["id"], "Og regntøj.")
    await send(client, PERNILLE, t["id"], "Og en ekstra trøje.")
    total = (await client.gql("Inbox", {"first": 5}, as_=METTE))["unreadMessages"]
    assert (await thread(client, METTE, t["id"]))["unreadCount"] == 3
    read = await client.gql(
        "MarkThreadRead", {"threadId": t["id"], "upToMessageId": second["id"]}, as_=METTE
    )
    assert read["markThreadRead"]["unreadCount"] == 1
    assert (await client.gql("Inbox", {"first": 5}, as_=METTE))["unreadMessages"] == total - 2
    # Marking an older message never moves the pointer back.
    first = (await thread(client, METTE, t["id"]))["messages"]["edges"][-1]["node"]["id"]
    again = await client.gql(
        "MarkThreadRead", {"threadId": t["id"], "upToMessageId": first}, as_=METTE
    )
    assert again["markThreadRead"]["unreadCount"] == 1
    done = await client.gql("MarkThreadRead", {"threadId": t["id"]}, as_=METTE)
    assert done["markThreadRead"]["unreadCount"] == 0
    unread_only = await inbox(client, METTE, unread=True)
    assert t["id"] not in [x["id"] for x in unread_only]
    # Staff see who has read; guardians never see others' read state.
    staff_view = await thread(client, PERNILLE, t["id"])
    assert "Mette Holm-Jensen" in [r["name"] for r in staff_view["readBy"]]
    newest = staff_view["messages"]["edges"][0]["node"]
    assert [r["name"] for r in newest["readBy"]] == ["Mette Holm-Jensen"]
    guardian_view = await thread(client, METTE, t["id"])
    assert guardian_view["readBy"] is None
    assert all(e["node"]["readBy"] is None for e in guardian_view["messages"]["edges"])


async def test_mute_archive_and_a_new_message_brings_it_back(client):
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    archived = await client.gql(
        "SetThreadFlags", {"threadId": t["id"], "archived": True, "muted": True}, as_=METTE
    )
    assert archived["setThreadFlags"]["archived"] is True
    assert archived["setThreadFlags"]["muted"] is True
    assert t["id"] not in [x["id"] for x in await inbox(client, METTE)]
    assert t["id"] in [x["id"] for x in await inbox(client, METTE, archived=True)]
    # Muted: no notification for Mette; still for Jonas; never for the sender.
    message = await send(client, PERNILLE, t["id"], "Ny besked")
    assert t["id"] in [x["id"] for x in await inbox(client, METTE)]
    users = await _notify_emails(client, message["id"])
    assert "jonas@example.com" in users and "mette@example.com" not in users
    assert PERNILLE not in users
    # The send path wrote the outbox rows (h2-notify's worker delivers them).
    from sqlalchemy import select

    from app.accounts.models import User
    from app.notifications.models import OutboxEntry

    runtime = client.http._transport.app.state.runtime
    async with scoped(runtime, d.institution) as db:
        rows = await db.execute(
            select(User.email, OutboxEntry.preview)
            .join(User, User.id == OutboxEntry.user_id)
            .where(OutboxEntry.subject_id == decode(message["id"], "Message", field="x"))
        )
        outbox = {email: preview for email, preview in rows.all()}
    assert "jonas@example.com" in outbox and "mette@example.com" not in outbox
    assert outbox["jonas@example.com"] in ("Ny besked", None)


async def _notify_emails(client, message_id: str) -> set[str]:
    from sqlalchemy import select

    from app.accounts.models import User

    runtime = client.http._transport.app.state.runtime
    d = await demo(client)
    async with scoped(runtime, d.institution) as db:
        target = await recipients_to_notify(
            db=db, message_id=decode(message_id, "Message", field="x")
        )
        assert target is not None
        emails = await db.scalars(select(User.email).where(User.id.in_(target.user_ids)))
        return set(emails.all())


async def test_sensitive_text_never_goes_to_notifications(client):
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}, sensitive=True
    )
    message = await send(client, PERNILLE, t["id"], "Fortroligt")
    runtime = client.http._transport.app.state.runtime
    async with scoped(runtime, d.institution) as db:
        target = await recipients_to_notify(
            db=db, message_id=decode(message["id"], "Message", field="x")
        )
    assert target.sensitive is True and target.preview is None


async def test_leaving_keeps_the_past_and_receives_nothing_new(client):
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    left = await client.gql("LeaveThread", {"threadId": t["id"]}, as_=JONAS)
    assert left["leaveThread"]["__typename"] == "Thread"
    later = await send(client, PERNILLE, t["id"], "Efter Jonas gik")
    view = await thread(client, JONAS, t["id"])
    assert [e["node"]["body"] for e in view["messages"]["edges"]] == ["Husk gummistøvler i morgen."]
    assert view["unreadCount"] == 1  # the one from before he left, not the later one
    refused = await send(client, JONAS, t["id"], "Hej")
    assert refused["code"] == "INVALID"
    assert "jonas@example.com" not in await _notify_emails(client, later["id"])


async def test_staff_add_and_remove_participants(client):
    d = await demo(client)
    (t,) = await started(client, PERNILLE, d.institution, {"staff": [d.staff[KARSTEN]]})
    added = await client.gql(
        "AddThreadParticipants",
        {"threadId": t["id"], "recipients": {"children": [d.child("Liva Holm-Jensen")]}},
        as_=PERNILLE,
    )
    names = {p["name"] for p in added["addThreadParticipants"]["participants"]}
    assert {"Mette Holm-Jensen", "Jonas Jensen", "Karsten Lund"} <= names
    assert await thread(client, METTE, t["id"]) is not None
    jonas = next(
        p for p in added["addThreadParticipants"]["participants"] if p["name"] == "Jonas Jensen"
    )
    removed = await client.gql(
        "RemoveThreadParticipant", {"threadId": t["id"], "participantId": jonas["id"]}, as_=PERNILLE
    )
    assert "Jonas Jensen" not in {
        p["name"] for p in removed["removeThreadParticipant"]["participants"]
    }
    assert await thread(client, JONAS, t["id"]) is None
    # Guardians cannot add or remove.
    refused = await client.gql(
        "AddThreadParticipants",
        {"threadId": t["id"], "recipients": {"staff": [d.staff[KARSTEN]]}},
        as_=METTE,
    )
    assert refused["addThreadParticipants"]["code"] == "NOT_FOUND"


async def test_inbox_filters_by_institution_and_child(client):
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    other = d.other_bjornene_family()
    (u,) = await started(client, PERNILLE, d.institution, {"children": [other["id"]]})
    by_child = await inbox(client, PERNILLE, childId=d.child("Liva Holm-Jensen"))
    assert t["id"] in [x["id"] for x in by_child] and u["id"] not in [x["id"] for x in by_child]
    assert await inbox(client, METTE, institutionId=d.regnbuen) == []
    assert t["id"] in [x["id"] for x in await inbox(client, METTE, institutionId=d.institution)]


async def test_inbox_pages_newest_first(client):
    d = await demo(client)
    made = []
    for n in range(5):
        (t,) = await started(
            client, PERNILLE, d.institution, {"staff": [d.staff[KARSTEN]]}, subject=f"Emne {n}"
        )
        made.append(t["id"])
    page = await client.gql("Inbox", {"first": 3}, as_=KARSTEN)
    ids = [e["node"]["id"] for e in page["inbox"]["edges"]]
    assert ids == made[::-1][:3]
    rest = await client.gql(
        "Inbox", {"first": 3, "after": page["inbox"]["pageInfo"]["endCursor"]}, as_=KARSTEN
    )
    assert [e["node"]["id"] for e in rest["inbox"]["edges"]][:2] == made[::-1][3:]
    # Activity moves a thread to the top.
    await send(client, PERNILLE, made[0], "Op igen")
    top = await client.gql("Inbox", {"first": 1}, as_=KARSTEN)
    assert top["inbox"]["edges"][0]["node"]["id"] == made[0]


async def test_inbox_statements_do_not_grow_with_page_size_or_participants(
    client, assert_max_queries
):
    d = await demo(client)
    for n in range(3):
        await started(
            client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]}, subject=f"B{n}"
        )
        await started(client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]})
    await client.token_for(PERNILLE)
    # PostgreSQL: the sign-in and the compiled answer; SQLite: the resolvers' statements.
    bound = 2 if is_postgres() else 6
    with assert_max_queries(bound) as small:
        await client.gql("Inbox", {"first": 1}, as_=PERNILLE)
    with assert_max_queries(bound) as large:
        data = await client.gql("Inbox", {"first": 30}, as_=PERNILLE)
    assert len(data["inbox"]["edges"]) >= 6
    assert large.count == small.count
    # The Thread document runs the resolvers: at most 6 more than their inbox (4 statements on
    # PostgreSQL, where the compiled inbox takes 2).
    with assert_max_queries((4 if is_postgres() else small.count) + 6):
        await client.gql(
            "Thread", {"id": data["inbox"]["edges"][0]["node"]["id"], "first": 30}, as_=PERNILLE
        )


async def test_search_finds_ones_own_messages_only(client):
    d = await demo(client)
    (t,) = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen")]},
        body="Vi skal på skovtur med madpakker",
    )
    found = await client.gql("SearchMessages", {"text": "madpakker"}, as_=METTE)
    assert [e["node"]["thread"]["id"] for e in found["searchMessages"]["edges"]] == [t["id"]]
    other = d.other_bjornene_family()["guardians"][0]["email"]
    assert (await client.gql("SearchMessages", {"text": "madpakker"}, as_=other))["searchMessages"][
        "edges"
    ] == []


async def test_retention_purges_threads_without_recent_activity(client, runtime):
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    institution_id = decode(d.institution, "Institution", field="x")
    async with scoped(runtime, d.institution) as db:
        kept = await purge_expired_threads(
            db=db, storage=runtime.storage, institution_id=institution_id, now=utcnow()
        )
        assert kept == 0
    assert await thread(client, METTE, t["id"]) is not None
    async with scoped(runtime, d.institution) as db:
        purged = await purge_expired_threads(
            db=db,
            storage=runtime.storage,
            institution_id=institution_id,
            now=utcnow() + timedelta(days=25 * 31),
        )
    assert purged >= 1
    assert await thread(client, METTE, t["id"]) is None
    assert await thread(client, SOLSIKKEN_ADMIN, t["id"]) is None


async def _found(client, as_: str, text: str) -> list[str]:
    data = await client.gql("SearchMessages", {"text": text}, as_=as_)
    return [e["node"]["body"] for e in data["searchMessages"]["edges"]]


async def test_search_stems_danish_on_postgresql_and_never_shows_others_messages(client):
    d = await demo(client)
    ours = "Vi leger på legepladsen efter frokost, husk madpakker"
    await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}, body=ours
    )
    other = d.other_bjornene_family()
    theirs = "Legepladsen er lukket, og madpakkerne bliver i køleskabet"
    await started(client, PERNILLE, d.institution, {"children": [other["id"]]}, body=theirs)
    other_parent = other["guardians"][0]["email"]
    # The same word: each family finds its own message, never the other's.
    assert await _found(client, METTE, "legepladsen") == [ours]
    assert await _found(client, other_parent, "legepladsen") == [theirs]
    if is_postgres():
        # Danish stemming: to_tsvector('danish', ...) makes legepladsen/legepladser
        # 'legeplads' and madpakker/madpakkerne 'madpak'; a substring match finds neither.
        assert await _found(client, METTE, "legepladser") == [ours]
        assert await _found(client, METTE, "madpakkerne") == [ours]
        assert await _found(client, other_parent, "madpakker") == [theirs]
    # Staff of another group find nothing of either.
    assert await _found(client, KARSTEN, "legepladsen") == []
