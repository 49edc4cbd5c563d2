"""The badge is the user's unread count, as the inbox counts it: APNs `aps.badge`, FCM
`notification_count` and the Web Push payload's `badge`, received by the local providers; the
counts for a whole round come in a fixed number of statements, however many users."""

# ruff: noqa: F401, F811  (the push providers' fixtures are imported, then used by name)

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.bench.push_servers import PushProviders
from app.core.system_scope import all_institutions_session
from app.db import utcnow
from app.institutions.service.actor import load_actor
from app.messaging.service.badge import unread_badges
from app.messaging.service.inbox import total_unread
from tests.messaging.util import JONAS, METTE, PERNILLE, demo, send, started
from tests.notifications.test_push_providers import (
    providers,
    run_worker,
    served_providers,
    settings,
    three_devices,
)


async def unread(client, who: str) -> int:
    return int((await client.gql("Inbox", {"first": 1}, as_=who))["unreadMessages"])


async def test_every_platform_shows_the_unread_count_as_badge(
    client, runtime, settings, providers: PushProviders
):
    await three_devices(client, providers)
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    await send(client, PERNILLE, t["id"], "Og regntøj.")
    expected = await unread(client, METTE)
    assert expected >= 2
    await run_worker(runtime, settings, utcnow())
    assert providers.refused == []
    badges = {
        r.platform: (
            r.payload["aps"].get("badge")
            if r.platform == "ios"
            else r.payload["android"]["notification"].get("notification_count")
            if r.platform == "android"
            else r.payload.get("badge")
        )
        for r in providers.received
    }
    assert badges == {"ios": expected, "android": expected, "web": expected}
    # Read in the app: the next push counts what is still unread.
    await client.gql("MarkThreadRead", {"threadId": t["id"]}, as_=METTE)
    providers.reset()
    await send(client, PERNILLE, t["id"], "Og en ekstra trøje.")
    after = await unread(client, METTE)
    assert after == expected - 2 + 1
    await run_worker(runtime, settings, utcnow())
    assert {r.payload["aps"]["badge"] for r in providers.received if r.platform == "ios"} == {after}


async def test_badges_of_many_users_in_a_fixed_number_of_statements(
    client, runtime, assert_max_queries
):
    d = await demo(client)
    await started(client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]})
    async with all_institutions_session(runtime.sessions) as db:
        everyone = list((await db.execute(select(User.id, User.email, User.is_active))).all())
        mette = next(u for u in everyone if u.email == METTE)
        with assert_max_queries(4) as one:
            alone = await unread_badges(db, [mette.id])
        with assert_max_queries(4) as many:
            counts = await unread_badges(db, [u.id for u in everyone])
        assert one.count == many.count and len(everyone) > 10
        assert alone == {mette.id: counts[mette.id]} and counts[mette.id] >= 1
        # The inbox's own count for each, actor by actor: the same numbers.
        for user in everyone:
            if not user.is_active:
                continue
            found = await db.get(User, user.id)
            assert found is not None
            actor = await load_actor(db=db, user=found, session=None)
            assert counts[user.id] == await total_unread(db=db, actor=actor), user.email
        await db.rollback()
    assert counts[mette.id] == await unread(client, METTE)
    assert await unread(client, JONAS) == counts[next(u.id for u in everyone if u.email == JONAS)]
