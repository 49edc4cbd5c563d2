"""Push through the providers' own protocols, against servers on 127.0.0.1 that check them
(app/bench/push_servers.py): APNs over HTTP/2 with an ES256 provider token, FCM HTTP v1 with an
OAuth2 bearer from the service account, Web Push with VAPID whose payload the receiver
decrypts. What each provider answers decides what becomes of the device and the row."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import PushDevice
from app.api.ids import encode
from app.bench.push_servers import PushProviders, Served
from app.core.system_scope import all_institutions_session
from app.db import utcnow
from app.notifications.models import NotificationDelivery
from app.notifications.service.devices import relay_id
from app.notifications.service.senders import create_senders
from app.notifications.service.worker import deliver_due
from tests.announcements.helpers import METTE, post
from tests.notifications.helpers import outbox, user_id

IOS_TOKEN = "a1" * 32
FCM_TOKEN = "fcm:" + "b" * 60
LATER = timedelta(minutes=20)


@pytest.fixture(scope="session")
def served_providers() -> Iterator[PushProviders]:
    served = Served()
    providers = served.start()
    try:
        yield providers
    finally:
        served.stop()


@pytest.fixture
def providers(served_providers: PushProviders) -> PushProviders:
    served_providers.reset()
    return served_providers


@pytest.fixture
def settings(migrated, providers):  # the runtime and the worker talk to 127.0.0.1
    return providers.settings(migrated)


async def three_devices(client, providers: PushProviders, who: str = METTE) -> str:
    endpoint, keys = providers.subscription("mette-browser")
    inputs = [
        {"platform": "IOS", "token": IOS_TOKEN, "language": "da"},
        {"platform": "ANDROID", "token": FCM_TOKEN, "language": "en"},
        {
            "platform": "WEB",
            "webPush": {
                "endpoint": endpoint,
                "keys": {"p256dh": keys.p256dh, "auth": keys.auth_b64},
            },
        },
    ]
    for input_ in inputs:
        made = await client.gql("RegisterPushDevice", {"input": input_}, as_=who)
        assert made["registerPushDevice"]["__typename"] == "PushDeviceRegistered", made
    return endpoint


async def deliveries(runtime) -> list[NotificationDelivery]:
    async with all_institutions_session(runtime.sessions) as db:
        rows = list((await db.scalars(select(NotificationDelivery))).all())
        await db.commit()
        return rows


async def run_worker(runtime, settings, now):
    senders = create_senders(settings)
    try:
        return await deliver_due(
            sessions=runtime.sessions, senders=senders, settings=settings, now=now
        )
    finally:
        await senders.aclose()


async def test_three_devices_on_three_platforms_each_get_it_once(
    client, runtime, settings, providers
):
    await three_devices(client, providers)
    await post(client, title="Tur i skoven", body="Hemmelig tekst om Liva")
    mette = await user_id(runtime, METTE)
    await run_worker(runtime, settings, utcnow())
    assert providers.refused == []
    got = sorted(providers.received, key=lambda r: r.platform)
    assert [r.platform for r in got] == ["android", "ios", "web"]
    (row,) = await outbox(runtime, user_id=mette, channel="push")
    assert row.status == "sent"
    relay = encode("Announcement", row.subject_id)
    assert relay_id("Announcement", row.subject_id) == relay
    android, ios, web = got
    # APNs: HTTP/2, the JWT and headers checked by the server; Danish on this phone.
    assert ios.payload["aps"]["alert"] == {
        "title": "Nyt opslag fra Pernille Holm",
        "body": "Åbn Seddel for at læse den.",
    }
    assert ios.payload["id"] == relay and ios.collapse == row.link
    assert ios.headers["apns-priority"] == "10"
    # FCM: an OAuth bearer from the token endpoint; this phone's app speaks English.
    assert android.payload["notification"]["title"] == "New announcement from Pernille Holm"
    assert android.payload["data"]["id"] == relay
    # Web Push: decrypted by the receiver with the subscription's private key.
    assert web.payload["title"] == "Nyt opslag fra Pernille Holm" and web.payload["id"] == relay
    for received in got:  # never the text
        assert "Hemmelig" not in str(received.payload) and "Tur i skoven" not in str(
            received.payload
        )
    records = [d for d in await deliveries(runtime) if d.outbox_id == row.id]
    assert sorted(d.platform for d in records) == ["android", "ios", "web"]
    assert {d.status for d in records} == {"delivered"}
    assert all(d.provider_id for d in records)
    # Once: the next round has nothing for them.
    await run_worker(runtime, settings, utcnow() + LATER)
    assert (
        len([r for r in providers.received if r.device in (IOS_TOKEN, FCM_TOKEN, "mette-browser")])
        == 3
    )


async def test_provider_answers_delete_give_up_or_retry_after(client, runtime, settings, providers):
    await three_devices(client, providers)
    providers.answers[IOS_TOKEN] = (410, {"reason": "Unregistered"}, {})
    providers.answers[FCM_TOKEN] = (
        400,
        {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad"}},
        {},
    )
    providers.answers["mette-browser"] = (429, {}, {"retry-after": "600"})
    await post(client)
    mette = await user_id(runtime, METTE)
    now = utcnow()
    await run_worker(runtime, settings, now)
    (row,) = await outbox(runtime, user_id=mette, channel="push")
    # Throttled: retried, no sooner than the provider's Retry-After (600 s > the 30 s backoff).
    assert row.status == "pending" and row.due_at >= now + timedelta(seconds=600)
    by_platform = {d.platform: d for d in await deliveries(runtime) if d.outbox_id == row.id}
    assert by_platform["ios"].status == "given_up" and "Unregistered" in by_platform["ios"].reason
    assert by_platform["android"].status == "given_up"
    assert "INVALID_ARGUMENT" in by_platform["android"].reason
    assert by_platform["web"].status == "failed"
    async with runtime.sessions() as db:
        platforms = set((await db.scalars(select(PushDevice.platform))).all())
    assert platforms == {"android", "web"}  # the unregistered iPhone is gone
    # The retry reaches the browser only: the others were settled.
    providers.answers.clear()
    await run_worker(runtime, settings, row.due_at)
    assert [r.platform for r in providers.received] == ["web"]
    (row,) = await outbox(runtime, user_id=mette, channel="push")
    assert row.status == "sent"
    assert {d.platform: d.status for d in await deliveries(runtime) if d.outbox_id == row.id} == {
        "ios": "given_up",
        "android": "given_up",
        "web": "delivered",
    }


async def test_a_user_without_devices_is_not_marked_reached(client, runtime, settings, providers):
    await post(client)
    mette = await user_id(runtime, METTE)
    await run_worker(runtime, settings, utcnow())
    (row,) = await outbox(runtime, user_id=mette, channel="push")
    assert row.status == "failed" and row.last_error == "no push device"


async def test_a_revoked_sessions_devices_get_nothing(client, runtime, settings, providers):
    login = await client.gql("Login", {"email": METTE, "password": "seddel-demo"})
    token = login["login"]["token"]
    made = await client.gql(
        "RegisterPushDevice", {"input": {"platform": "IOS", "token": IOS_TOKEN}}, token=token
    )
    assert made["registerPushDevice"]["__typename"] == "PushDeviceRegistered"
    await client.gql("Logout", token=token)
    await post(client)
    await run_worker(runtime, settings, utcnow())
    assert providers.received == []


async def test_a_crashed_round_resends_with_the_same_ids(client, runtime, settings, providers):
    """The worker dies after the providers accepted, before it recorded anything (the task
    is cancelled while the answers are on their way). When the lease runs out the next
    round sends again: each device gets the same push id (apns-id, Web Push Topic, FCM data)
    both times, so it is the same notification to the device, never a second one."""
    await three_devices(client, providers)
    await post(client)
    providers.delay = 5.0
    now = utcnow()
    senders = create_senders(settings)
    crashed = asyncio.create_task(
        deliver_due(sessions=runtime.sessions, senders=senders, settings=settings, now=now)
    )
    for _ in range(250):  # until all three providers accepted it
        await asyncio.sleep(0.02)
        if len(providers.received) == 3:
            break
    assert len(providers.received) == 3, providers.refused
    crashed.cancel()  # dies before a single answer is read
    with contextlib.suppress(asyncio.CancelledError):
        await crashed
    await senders.aclose()
    providers.delay = 0.0
    first = {(r.platform, r.push_id) for r in providers.received}
    # Leased: nobody takes the rows before the lease runs out.
    assert (await run_worker(runtime, settings, now + timedelta(seconds=10))).handled == 0
    await run_worker(runtime, settings, now + timedelta(seconds=settings.notify_lease_seconds + 1))
    ids: dict[str, set[str]] = {}
    for received in providers.received:
        ids.setdefault(received.device, set()).add(received.push_id)
    assert set(ids) == {IOS_TOKEN, FCM_TOKEN, "mette-browser"}
    assert all(len(v) == 1 for v in ids.values()), ids  # the same id however often it came
    assert first <= {(r.platform, r.push_id) for r in providers.received}
    mette = await user_id(runtime, METTE)
    (row,) = await outbox(runtime, user_id=mette, channel="push")
    assert row.status == "sent"


def test_the_payload_names_a_relay_id_the_api_decodes():
    import uuid

    value = uuid.uuid4()
    assert base64.b64decode(relay_id("Thread", value)).decode() == f"Thread:{value}"
    assert relay_id("Thread", value) == encode("Thread", value)
