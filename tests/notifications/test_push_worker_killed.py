"""`seddel worker` killed with SIGKILL in the middle of a batch, while the providers hold
their answers: nothing is lost (the lease runs out, the next worker sends what was not
recorded) and no device gets one notification twice under different ids (the resend
carries the same apns-id, FCM push id and Web Push Topic). PostgreSQL (real commits on
separate connections and a worker process of its own; cleaned up after)."""

# ruff: noqa: F401, F811  (the push providers' fixtures are imported, then used by name)

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from app.accounts.models import AuthSession, PushDevice
from app.accounts.service.push_devices import token_key
from app.bench.push_servers import PushProviders
from app.core.system_scope import all_institutions_session
from app.db import session_factory, utcnow
from app.institutions.models import GuardianLink
from app.notifications.models import OutboxEntry
from app.notifications.service import outbox as notifications
from app.notifications.service.senders import create_senders
from app.notifications.service.worker import deliver_due
from tests.conftest import is_postgres
from tests.notifications.test_push_providers import providers, served_providers

pytestmark = pytest.mark.skipif(not is_postgres(), reason="a worker process of its own")
ROOT = Path(__file__).resolve().parents[2]


def _env(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        **os.environ,
        "SEDDEL_DATABASE_URL": settings.database_url,
        "SEDDEL_APNS_URL": settings.apns_url,
        "SEDDEL_APNS_KEY": settings.apns_key,
        "SEDDEL_APNS_KEY_ID": settings.apns_key_id,
        "SEDDEL_APNS_TEAM_ID": settings.apns_team_id,
        "SEDDEL_APNS_TOPIC": settings.apns_topic,
        "SEDDEL_FCM_URL": settings.fcm_url,
        "SEDDEL_FCM_CREDENTIALS": settings.fcm_credentials,
        "SEDDEL_WEBPUSH_VAPID_KEY": settings.webpush_vapid_private_key,
        "SEDDEL_WEBPUSH_VAPID_SUBJECT": settings.webpush_vapid_subject,
        "SEDDEL_PUSH_ALLOW_PRIVATE_ENDPOINTS": "1",
        "SEDDEL_LOG_JSON": "0",
    }


async def test_kill_9_mid_batch_loses_nothing_and_keeps_the_ids(
    engine,
    migrated,
    providers: PushProviders,
):
    settings = providers.settings(migrated)
    sessions = session_factory(engine)
    subject = uuid.uuid4()
    now = utcnow()
    async with all_institutions_session(sessions) as db, db.begin():
        link = (await db.scalars(select(GuardianLink).limit(1))).one()
        users = sorted(
            set(
                (
                    await db.scalars(
                        select(GuardianLink.user_id).where(
                            GuardianLink.institution_id == link.institution_id
                        )
                    )
                ).all()
            )
        )[:6]
        session_ids, devices = [], []
        for n, user in enumerate(users):
            session = AuthSession(
                user_id=user,
                token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
                expires_at=now + timedelta(days=1),
                idle_timeout_seconds=86400,
            )
            db.add(session)
            await db.flush()
            session_ids.append(session.id)
            endpoint, keys = providers.subscription(f"killed-{n}")
            for platform, token, extra in (
                ("ios", f"{n:02d}" * 32, {}),
                ("android", f"fcm-killed-{n}-" + "x" * 30, {}),
                ("web", endpoint, {"p256dh": keys.p256dh, "auth_secret": keys.auth_b64}),
            ):
                device = PushDevice(
                    user_id=user,
                    session_id=session.id,
                    platform=platform,
                    token=token,
                    token_key=token_key(platform, token),
                    language="da",
                    **extra,
                )
                db.add(device)
                devices.append(token if platform != "web" else f"killed-{n}")
        await notifications.enqueue(
            db=db,
            institution_id=link.institution_id,
            recipients=users,
            kind="sent_home",
            subject_id=subject,
            sender_name="Pernille Holm",
            link=f"/pickup-plans/{subject}",
            now=now,
        )
    providers.delay = 30.0  # every push is accepted, no answer comes back in time
    worker = subprocess.Popen(
        [sys.executable, "-m", "app", "worker", "--once"],
        cwd=ROOT,
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            await asyncio.sleep(0.05)
            if len(providers.received) >= len(devices) // 2:
                break
        assert providers.received, providers.refused
        os.kill(worker.pid, signal.SIGKILL)  # mid-batch: accepted by providers, unrecorded
        worker.wait(10)
        providers.delay = 0.0
        before = len(providers.received)
        senders = create_senders(settings)
        try:
            later = utcnow() + timedelta(seconds=settings.notify_lease_seconds + 1)
            await deliver_due(sessions=sessions, senders=senders, settings=settings, now=later)
        finally:
            await senders.aclose()
        assert len(providers.received) > before
        ids: dict[str, set[str]] = {}
        for received in providers.received:
            ids.setdefault(received.device, set()).add(received.push_id)
        assert set(ids) == set(devices)  # nothing lost
        assert all(len(v) == 1 for v in ids.values()), ids  # the same id each time
        async with all_institutions_session(sessions) as db:
            statuses = set(
                (
                    await db.scalars(
                        select(OutboxEntry.status).where(
                            OutboxEntry.subject_id == subject, OutboxEntry.channel == "push"
                        )
                    )
                ).all()
            )
            await db.commit()
        assert statuses == {"sent"}
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
        async with all_institutions_session(sessions) as db, db.begin():
            await db.execute(delete(OutboxEntry).where(OutboxEntry.subject_id == subject))
            await db.execute(delete(AuthSession).where(AuthSession.id.in_(session_ids)))
