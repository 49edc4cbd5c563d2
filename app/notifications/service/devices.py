"""The push fan-out: one outbox row (a notification for a user) to each of the user's live
devices, through the sender of the device's platform, with a delivery record per device.

A device that has its notification (delivered, or given up for good) is skipped when the row
is tried again, so a retry after one platform's 503 does not repeat the others. A resend after
a crash (sent, never recorded) carries the same push id to the same device: APNs' apns-id,
Web Push's Topic and FCM's data and collapse key; the app shows it once.

What a push says: who and what kind of thing, in the device's language, never a message's
text, a child's health data or a sensitive thread's subject (the outbox never gives it the
text); the data payload names the Relay ID the app opens."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuthSession, PushDevice
from app.accounts.service.push_devices import forget_devices
from app.config import Settings
from app.core.i18n import MESSAGES, translate
from app.db import write_transaction
from app.notifications.models import NotificationDelivery, OutboxEntry
from app.notifications.service import push as providers

# An error that retrying cannot mend (no device, recipient gone): the row is given up at once.
GIVE_UP = "give up: "
# Urgent kinds: sent at once whatever the quiet hours, time-sensitive on iOS, high priority.
URGENT_KINDS = frozenset({"sent_home", "incident"})
PUSH_ID_NAMESPACE = uuid.UUID("4f7c3a55-2b0e-4c5e-9d51-6b3f1f0a7e21")
CONCURRENT_SENDS = 32
# Where the apps open a link, as the Relay type of the node it names.
LINK_TYPES = {
    "threads": "Thread",
    "announcements": "Announcement",
    "daybook": "DayEntry",
    "pickup-plans": "PickupPlanEntry",
}

BadgeCounter = Callable[[AsyncSession, Collection[uuid.UUID]], Awaitable[dict[uuid.UUID, int]]]
_badge_counters: list[BadgeCounter] = []


def register_badge_counter(counter: BadgeCounter) -> BadgeCounter:
    """A higher slice (messaging) counts what is unread for a set of users: the badge."""
    if counter not in _badge_counters:
        _badge_counters.append(counter)
    return counter


@dataclass
class DeviceRound:
    """Per outbox row: None when it reached a device, else the error (GIVE_UP-prefixed when
    retrying cannot help); and the provider's Retry-After for rows to retry."""

    errors: dict[uuid.UUID, str | None] = field(default_factory=dict)
    retry_after: dict[uuid.UUID, float] = field(default_factory=dict)
    delivered: int = 0


def relay_id(type_name: str, value: uuid.UUID) -> str:
    """A Relay global ID as the API gives it (base64 of "Type:id"; a test holds it equal to
    app.api.ids.encode, which this layer may not import)."""
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


def push_id(row_id: uuid.UUID, device_id: uuid.UUID) -> uuid.UUID:
    """The same for this notification and this device on every attempt."""
    return uuid.uuid5(PUSH_ID_NAMESPACE, f"{row_id}:{device_id}")


def payload_data(row: OutboxEntry) -> dict[str, str]:
    data = {"kind": row.kind, "link": row.link}
    parts = row.link.strip("/").split("/")
    if len(parts) == 2 and parts[0] in LINK_TYPES:
        with contextlib.suppress(ValueError):  # a link not ending in an id names no node
            data["id"] = relay_id(LINK_TYPES[parts[0]], uuid.UUID(parts[1]))
    return data


def title_and_body(row: OutboxEntry, language: str) -> tuple[str, str]:
    key = f"push_title_{row.kind}"
    title_key = key if key in MESSAGES else "push_title_message"
    return (
        translate(title_key, language, sender=row.sender_name),
        translate("push_body_hidden", language),
    )


async def _badges(db: AsyncSession, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    counts: dict[uuid.UUID, int] = {}
    for counter in _badge_counters:
        for user_id, count in (await counter(db, user_ids)).items():
            counts[user_id] = counts.get(user_id, 0) + count
    return counts


async def _live_devices(
    db: AsyncSession, user_ids: Collection[uuid.UUID], now: datetime
) -> dict[uuid.UUID, list[Any]]:
    rows = await db.execute(
        select(
            PushDevice.id,
            PushDevice.user_id,
            PushDevice.platform,
            PushDevice.token,
            PushDevice.p256dh,
            PushDevice.auth_secret,
            PushDevice.language,
        )
        .join(AuthSession, AuthSession.id == PushDevice.session_id)
        .where(
            PushDevice.user_id.in_(user_ids),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
        .order_by(PushDevice.id)
    )
    devices: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for device in rows.all():
        devices[device.user_id].append(device)
    return devices


async def deliver_to_devices(
    db: AsyncSession,
    rows: list[OutboxEntry],
    *,
    senders: dict[str, providers.DeviceSender],
    settings: Settings,
    now: datetime,
) -> DeviceRound:
    """Send each claimed push row to its user's devices; record every device's outcome."""
    result = DeviceRound()
    devices = await _live_devices(db, {r.user_id for r in rows}, now)
    earlier = (
        await db.execute(
            select(
                NotificationDelivery.outbox_id,
                NotificationDelivery.target,
                NotificationDelivery.status,
            ).where(NotificationDelivery.outbox_id.in_([r.id for r in rows]))
        )
    ).all()
    finished = {(d.outbox_id, d.target) for d in earlier if d.status in ("delivered", "given_up")}
    reached = {d.outbox_id for d in earlier if d.status == "delivered"}
    badges = await _badges(db, {r.user_id for r in rows}) if _badge_counters else {}
    await db.commit()  # nothing held open while the providers answer

    jobs: list[tuple[OutboxEntry, Any, providers.DevicePush]] = []
    for row in rows:
        for device in devices.get(row.user_id, []):
            if (row.id, str(device.id)) in finished:
                continue
            title, body = title_and_body(row, device.language)
            jobs.append(
                (
                    row,
                    device,
                    providers.DevicePush(
                        push_id=push_id(row.id, device.id),
                        device=providers.PushDevice(
                            id=device.id,
                            platform=device.platform,
                            token=device.token,
                            p256dh=device.p256dh,
                            auth=device.auth_secret,
                        ),
                        title=title,
                        body=body,
                        collapse_id=row.link[:64],
                        data=payload_data(row),
                        badge=badges.get(row.user_id),
                        urgent=row.kind in URGENT_KINDS,
                    ),
                )
            )
    # "sent" before the hand-over, committed: a worker that dies while the providers answer
    # leaves each device's record saying it was handed over, answer unknown (and the resend
    # carries the same push id).
    handed = [
        _record(row, device, "sent", None, now)
        for row, device, _ in jobs
        if device.platform in senders
    ]
    if handed:
        async with write_transaction(db):
            await _write_records(db, handed)
    gate = asyncio.Semaphore(CONCURRENT_SENDS)

    async def send(push: providers.DevicePush) -> providers.PushOutcome:
        sender = senders.get(push.device.platform)
        if sender is None:
            return providers.PushOutcome("rejected", reason=f"no sender for {push.device.platform}")
        async with gate:
            try:
                return await sender.send(push)
            except Exception as exc:  # a sender's bug must not stop the round
                return providers.PushOutcome("retry", reason=f"{type(exc).__name__}: {exc}"[:400])

    outcomes = await asyncio.gather(*(send(push) for _, _, push in jobs))

    records: list[dict[str, object]] = []
    gone: list[uuid.UUID] = []
    retry: dict[uuid.UUID, list[str]] = defaultdict(list)
    refused: dict[uuid.UUID, list[str]] = defaultdict(list)
    for (row, device, _), outcome in zip(jobs, outcomes, strict=True):
        status = {
            "delivered": "delivered",
            "gone": "given_up",
            "rejected": "given_up",
            "retry": "failed",
        }[outcome.status]
        if outcome.status == "delivered":
            reached.add(row.id)
            result.delivered += 1
        elif outcome.status == "retry":
            retry[row.id].append(f"{device.platform}: {outcome.reason}")
            if outcome.retry_after is not None:
                result.retry_after[row.id] = max(
                    result.retry_after.get(row.id, 0.0), outcome.retry_after
                )
        else:
            refused[row.id].append(f"{device.platform}: {outcome.reason}")
            if outcome.status == "gone":
                gone.append(device.id)
        records.append(_record(row, device, status, outcome, now))
    for row in rows:
        if retry.get(row.id):
            result.errors[row.id] = "; ".join(retry[row.id])
        elif row.id in reached:
            result.errors[row.id] = None
        elif not devices.get(row.user_id):
            result.errors[row.id] = GIVE_UP + "no push device"
        else:
            result.errors[row.id] = GIVE_UP + "; ".join(refused[row.id] or ["not delivered"])
    async with write_transaction(db):
        await _write_records(db, records, attempt=not handed)
        await forget_devices(db, gone)
    return result


def _record(
    row: OutboxEntry,
    device: Any,
    status: str,
    outcome: providers.PushOutcome | None,
    now: datetime,
) -> dict[str, object]:
    return record_of(
        row,
        target=str(device.id),
        platform=device.platform,
        status=status,
        provider_id=outcome.provider_id if outcome else None,
        reason=outcome.reason if outcome else None,
        now=now,
    )


def record_of(
    row: OutboxEntry,
    *,
    target: str,
    status: str,
    now: datetime,
    platform: str | None = None,
    provider_id: str | None = None,
    reason: str | None = None,
) -> dict[str, object]:
    """One delivery record's values: it names whom, about what and how by itself, since it
    outlives its outbox row (app.notifications.service.retention)."""
    return {
        "institution_id": row.institution_id,
        "outbox_id": row.id,
        "user_id": row.user_id,
        "subject_id": row.subject_id,
        "kind": row.kind,
        "link": row.link,
        "target": target,
        "channel": row.channel,
        "platform": platform,
        "status": status,
        "provider_id": (provider_id or "")[:200] or None,
        "reason": (reason or "")[:500] or None,
        "updated_at": now,
    }


async def _write_records(
    db: AsyncSession, records: list[dict[str, object]], *, attempt: bool = True
) -> None:
    """Insert or update each (notification, target) record; `attempt`: this write starts an
    attempt (counted), not the answer to one already counted."""
    if not records:
        return
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(NotificationDelivery).values(
        [{"id": uuid.uuid4(), "attempts": 1, "created_at": r["updated_at"], **r} for r in records]
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=["outbox_id", "target"],
            set_={
                "status": statement.excluded.status,
                "provider_id": statement.excluded.provider_id,
                "reason": statement.excluded.reason,
                "updated_at": statement.excluded.updated_at,
                "attempts": NotificationDelivery.attempts + (1 if attempt else 0),
            },
        )
    )
