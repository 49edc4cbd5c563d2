"""The delivery record per notification and device, every status as the issue names it
(queued, sent, delivered with the provider's id, failed with the reason, given up), and kept
by the institution's retention rather than the outbox's 30 days."""

# ruff: noqa: F401, F811  (the push providers' fixtures are imported, then used by name)

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import timedelta

from sqlalchemy import select

from app.api.ids import decode
from app.core.system_scope import all_institutions_session, institution_session
from app.db import utcnow
from app.notifications.models import NotificationDelivery, OutboxEntry
from app.notifications.service.record import delivery_record
from app.notifications.service.retention import purge_delivered_notifications
from app.notifications.service.senders import create_senders
from app.notifications.service.worker import deliver_due
from tests.announcements.helpers import METTE, PERNILLE, post
from tests.messaging.util import admin
from tests.notifications.helpers import user_id
from tests.notifications.test_push_providers import (
    FCM_TOKEN,
    IOS_TOKEN,
    providers,
    run_worker,
    served_providers,
    settings,
    three_devices,
)


async def _record(runtime, institution, subject, now):
    async with all_institutions_session(runtime.sessions) as db:
        found = await delivery_record(db, institution_id=institution, subject_id=subject, now=now)
        await db.commit()
    return found


async def _push_by_platform(runtime, institution, subject, user, now):
    return {
        r.platform: r
        for r in await _record(runtime, institution, subject, now)
        if r.channel == "push" and r.user_id == user
    }


async def test_every_status_of_the_record(client, runtime, settings, providers):
    await three_devices(client, providers)
    made = await post(client)
    subject = decode(made["id"], "Announcement", field="id")
    mette = await user_id(runtime, METTE)
    (row,) = [
        r
        for r in await _rows(runtime)
        if r.user_id == mette and r.channel == "push" and r.subject_id == subject
    ]
    institution = row.institution_id
    now = utcnow()
    # Queued: nothing tried yet, one per live device.
    queued = await _push_by_platform(runtime, institution, subject, mette, now)
    assert {p: r.status for p, r in queued.items()} == dict.fromkeys(
        ("ios", "android", "web"), "queued"
    )
    # Sent: handed over, the worker dies before any answer comes back.
    providers.delay = 5.0
    senders = create_senders(settings)
    crashed = asyncio.create_task(
        deliver_due(sessions=runtime.sessions, senders=senders, settings=settings, now=now)
    )
    for _ in range(250):
        await asyncio.sleep(0.02)
        if len(providers.received) == 3:
            break
    crashed.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await crashed
    await senders.aclose()
    providers.reset()
    sent = await _push_by_platform(runtime, institution, subject, mette, now)
    assert {p: r.status for p, r in sent.items()} == dict.fromkeys(
        ("ios", "android", "web"), "sent"
    )
    # The next round: delivered with the provider's id, failed with the reason (retried),
    # given up with the reason.
    providers.answers[FCM_TOKEN] = (503, {"error": {"status": "UNAVAILABLE"}}, {})
    providers.answers["mette-browser"] = (400, {}, {})
    later = now + timedelta(seconds=settings.notify_lease_seconds + 1)
    await run_worker(runtime, settings, later)
    answered = await _push_by_platform(runtime, institution, subject, mette, later)
    assert answered["ios"].status == "delivered" and answered["ios"].provider_id
    assert answered["android"].status == "failed" and "UNAVAILABLE" in answered["android"].reason
    assert answered["web"].status == "given_up" and "400" in answered["web"].reason
    reach = (await client.gql("AnnouncementReach", {"id": made["id"]}, as_=PERNILLE))["node"]
    assert next(r for r in reach["reach"] if r["name"].startswith("Mette"))["push"] == "REACHED"
    # The row's last attempt: the failing device is given up too.
    last = dataclasses.replace(settings, notify_max_attempts=1)
    await run_worker(runtime, last, later + timedelta(hours=7))
    final = await _push_by_platform(runtime, institution, subject, mette, later)
    assert final["android"].status == "given_up" and final["ios"].status == "delivered"
    async with all_institutions_session(runtime.sessions) as db:
        attempts = {
            d.platform: d.attempts
            for d in (await db.scalars(select(NotificationDelivery))).all()
            if d.outbox_id == row.id
        }
        await db.commit()
    # Each hand-over counted once, not once more for its answer.
    assert attempts == {"ios": 2, "android": 3, "web": 2}


async def _rows(runtime) -> list[OutboxEntry]:
    async with all_institutions_session(runtime.sessions) as db:
        rows = list((await db.scalars(select(OutboxEntry))).all())
        await db.commit()
    return rows


async def _purge(runtime, institution, now) -> None:
    async with institution_session(runtime.sessions, institution) as db:
        await purge_delivered_notifications(
            db=db, storage=runtime.storage, institution_id=institution, now=now
        )


async def test_the_record_outlives_the_outbox_and_follows_the_institutions_retention(
    client, runtime, settings, providers
):
    await client.gql(
        "RegisterPushDevice", {"input": {"platform": "IOS", "token": IOS_TOKEN}}, as_=METTE
    )
    made = await post(client)
    subject = decode(made["id"], "Announcement", field="id")
    now = utcnow()
    await run_worker(runtime, settings, now + timedelta(minutes=20))
    mette = await user_id(runtime, METTE)
    institution = next(r.institution_id for r in await _rows(runtime) if r.subject_id == subject)
    # The outbox's 30 days are over: its rows go, the records stay and still tell staff.
    await _purge(runtime, institution, now + timedelta(days=31))
    assert [r for r in await _rows(runtime) if r.subject_id == subject] == []
    kept = await _record(runtime, institution, subject, now)
    mine = [r for r in kept if r.user_id == mette]
    assert {(r.channel, r.status) for r in mine} >= {("push", "delivered")}
    assert all(r.outbox_id is None for r in kept)
    reach = (await client.gql("AnnouncementReach", {"id": made["id"]}, as_=PERNILLE))["node"]
    by_name = {r["name"].split()[0]: r for r in reach["reach"]}
    assert by_name["Mette"]["push"] == "REACHED"
    # The institution keeps its messages three months: the records go with them.
    d_institution = (await client.gql("Me", as_="admin@solsikken.example"))["me"]["institutions"]
    await admin(
        client,
        "UpdateInstitutionSettings",
        {
            "institution": d_institution[0]["institution"]["id"],
            "input": {"messageRetentionMonths": 3},
        },
    )
    await _purge(runtime, institution, now + timedelta(days=80))
    assert len(await _record(runtime, institution, subject, now)) == len(kept)
    await _purge(runtime, institution, now + timedelta(days=100))
    assert await _record(runtime, institution, subject, now) == []
