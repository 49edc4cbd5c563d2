"""The notification worker's throughput (`seddel bench --push`, and after the table of a full
run): push notifications delivered per second to the providers' own protocols on 127.0.0.1
(APNs over HTTP/2 with its JWT checked, FCM with an OAuth bearer, Web Push decrypted by the
receiver: app.bench.push_servers), with one worker process and with two, and the SQL
statements each worker runs per delivered notification.

Each of USERS guardians of the seeded volume has a live session and three devices (iOS,
Android, a browser); NOTIFICATIONS_PER_USER outbox rows each are written as the owner, then the
worker processes (`python -m app.bench.push`, the application role under row-level security,
as `seddel worker` runs) drain the outbox together. Timed from the moment every worker is
ready (engine and senders made) until the outbox holds nothing due."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text

from app.bench.push_servers import PushProviders, Served
from app.config import Settings, get_settings
from app.db import create_engine, session_factory, utcnow

USERS = 200
NOTIFICATIONS_PER_USER = 5
BATCH = 100
OVERRIDES = "SEDDEL_BENCH_PUSH_SETTINGS"  # the providers' settings, handed to the workers


@dataclasses.dataclass
class Round:
    workers: int
    notifications: int
    device_pushes: int
    seconds: float
    statements: int

    @property
    def per_second(self) -> float:
        return self.notifications / self.seconds

    @property
    def statements_per_notification(self) -> float:
        return self.statements / self.notifications


async def _devices(owner: Any, providers: PushProviders) -> list[uuid.UUID]:
    """USERS guardians, each with a live session and a device on each platform."""
    async with owner.begin() as c:
        await c.execute(text("DELETE FROM push_devices"))
        users = [
            row.user_id
            for row in await c.execute(
                text("SELECT DISTINCT user_id FROM guardian_links ORDER BY user_id LIMIT :n"),
                {"n": USERS},
            )
        ]
        now = utcnow()
        for i, user_id in enumerate(users):
            session_id = uuid.uuid4()
            await c.execute(
                text(
                    "INSERT INTO sessions (id, user_id, token_hash, kind, created_at,"
                    " last_used_at, expires_at, idle_timeout_seconds)"
                    " VALUES (:id, :u, :h, 'user', :now, :now, :exp, 86400)"
                ),
                {
                    "id": session_id,
                    "u": user_id,
                    "h": hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
                    "now": now,
                    "exp": now + timedelta(days=1),
                },
            )
            endpoint, keys = providers.subscription(f"bench-{i}")
            for platform, token, p256dh, auth in (
                ("ios", f"{i:064x}", None, None),
                ("android", f"fcm:bench-{i}", None, None),
                ("web", endpoint, keys.p256dh, keys.auth_b64),
            ):
                await c.execute(
                    text(
                        "INSERT INTO push_devices (id, user_id, session_id, platform, token,"
                        " token_key, p256dh, auth_secret, app_version, language, created_at,"
                        " registered_at)"
                        " VALUES (:id, :u, :s, :p, :t, :k, :d, :a, '1.0', 'da', :now, :now)"
                    ),
                    {
                        "id": uuid.uuid4(),
                        "u": user_id,
                        "s": session_id,
                        "p": platform,
                        "t": token,
                        "k": hashlib.sha256(f"{platform}:{token}".encode()).hexdigest(),
                        "d": p256dh,
                        "a": auth,
                        "now": now,
                    },
                )
    return users


async def _enqueue(owner: Any, users: list[uuid.UUID]) -> int:
    """NOTIFICATIONS_PER_USER due push rows per user, as a posted message would write them."""
    async with owner.begin() as c:
        await c.execute(text("DELETE FROM notification_deliveries"))
        await c.execute(text("DELETE FROM notification_outbox"))
        rows = []
        now = utcnow()
        for user_id in users:
            institution = await c.scalar(
                text("SELECT institution_id FROM guardian_links WHERE user_id = :u LIMIT 1"),
                {"u": user_id},
            )
            for _ in range(NOTIFICATIONS_PER_USER):
                subject = uuid.uuid4()
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "i": institution,
                        "u": user_id,
                        "s": subject,
                        "l": f"/threads/{subject}",
                        "k": f"bench:{subject}:{user_id}",
                        "now": now,
                    }
                )
        await c.execute(
            text(
                "INSERT INTO notification_outbox (id, institution_id, user_id, channel, kind,"
                " subject_id, sender_name, link, idempotency_key, status, attempts, due_at,"
                " created_at) VALUES (:id, :i, :u, 'push', 'message', :s, 'Pernille Holm', :l,"
                " :k, 'pending', 0, :now, :now)"
            ),
            rows,
        )
    return len(rows)


async def _round(owner: Any, users: list[uuid.UUID], settings: Settings, workers: int) -> Round:
    providers_settings = json.dumps(
        {
            k: getattr(settings, k)
            for k in (
                "apns_url",
                "apns_key",
                "apns_key_id",
                "apns_team_id",
                "apns_topic",
                "fcm_url",
                "fcm_credentials",
                "webpush_vapid_private_key",
                "webpush_vapid_subject",
                "push_allow_private_endpoints",
                "database_url",
            )
        }
    )
    notifications = await _enqueue(owner, users)
    env = {**os.environ, OVERRIDES: providers_settings}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "app.bench.push"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        for _ in range(workers)
    ]
    for process in processes:  # each says "ready" once its engine and senders are made
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    reports = [json.loads(p.communicate(timeout=600)[0]) for p in processes]
    seconds = time.perf_counter() - started
    async with owner.connect() as c:
        sent = await c.scalar(text("SELECT count(*) FROM notification_outbox WHERE status='sent'"))
        pushes = await c.scalar(
            text("SELECT count(*) FROM notification_deliveries WHERE status = 'delivered'")
        )
    if sent != notifications:
        raise RuntimeError(f"{sent} of {notifications} notifications sent")
    return Round(
        workers=workers,
        notifications=notifications,
        device_pushes=int(pushes or 0),
        seconds=seconds,
        statements=sum(r["statements"] for r in reports),
    )


async def run_push(owner_url: str, app_url: str) -> list[Round]:
    """One worker, then two, on the same volume (seeded and migrated by the caller)."""
    served = Served()
    providers = served.start()
    owner = create_engine(owner_url)
    try:
        settings = dataclasses.replace(providers.settings(Settings()), database_url=app_url)
        users = await _devices(owner, providers)
        return [await _round(owner, users, settings, workers) for workers in (1, 2)]
    finally:
        await owner.dispose()
        served.stop()


def print_push(rounds: list[Round]) -> None:
    print(
        f"notification worker: {USERS} users x 3 devices (APNs, FCM, Web Push on 127.0.0.1),"
        f" {NOTIFICATIONS_PER_USER} notifications each; batch {BATCH}"
    )
    print(
        "{:<9}{:>15}{:>14}{:>10}{:>17}{:>19}".format(
            "workers",
            "notifications",
            "device pushes",
            "seconds",
            "notifications/s",
            "stmts/notification",
        )
    )
    for r in rounds:
        print(
            f"{r.workers:<9}{r.notifications:>15}{r.device_pushes:>14}{r.seconds:>10.2f}"
            f"{r.per_second:>17.1f}{r.statements_per_notification:>19.2f}"
        )


async def _drain() -> dict[str, int]:
    """A worker process: deliver_due until nothing is due; its statements counted."""
    import app.messaging.service.badge  # noqa: F401  registers the badge, as `seddel worker` does
    from app.notifications.service.senders import create_senders
    from app.notifications.service.worker import deliver_due

    overrides = json.loads(os.environ[OVERRIDES])
    settings = dataclasses.replace(get_settings(), **overrides)
    engine = create_engine(settings.database_url, pool_size=2)
    sessions = session_factory(engine)
    senders = create_senders(settings)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    async with engine.connect() as c:  # connected before the clock starts
        await c.execute(text("SELECT 1"))
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    statements = 0
    handled = 0
    try:
        while True:
            report = await deliver_due(
                sessions=sessions, senders=senders, settings=settings, batch=BATCH
            )
            handled += report.handled
            if report.handled == 0:
                break
    finally:
        await senders.aclose()
        await engine.dispose()
    return {"statements": statements, "handled": handled}


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    print(json.dumps(asyncio.run(_drain())), flush=True)
