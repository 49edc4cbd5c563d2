"""Urgent SMS through a generic HTTP SMS gateway, and the worker's round of SMS rows.

Only urgent kinds (a child sent home, an incident) go by SMS, only in an institution that opted
in (`urgent_sms_enabled`), only to guardians with a phone number (E.164, checked on input), and
at most `sms_monthly_cap` a calendar month per institution (its local month, Europe/Copenhagen:
counted by when each SMS was first handed over): over it an SMS is not sent and its record
says "monthly cap".

The gateway: `POST <SEDDEL_SMS_GATEWAY_URL>` with JSON {"sender", "to", "text", "reference"},
a bearer token (SEDDEL_SMS_TOKEN) or else basic auth (SEDDEL_SMS_USERNAME/_PASSWORD). 2xx: sent,
the answer's "id" is the provider's message id; 429/5xx or no answer: retried with the
outbox's backoff, never sooner than Retry-After; any other 4xx: given up with its reason.
`reference` is the same on every attempt of one SMS, so a gateway that deduplicates by it sends
a resend after a crash once.

What an SMS says: what kind of thing happened and who wrote, in the guardian's language, and
the link; never the reason a child is sent home, health details or a message's text (the
outbox never holds them for an SMS)."""

from __future__ import annotations

import asyncio
import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.core.i18n import translate
from app.db import write_transaction
from app.institutions.models import Institution
from app.institutions.service.settings import settings_from
from app.notifications.models import NotificationDelivery, OutboxEntry
from app.notifications.service.devices import GIVE_UP, DeviceRound, _write_records, record_of
from app.notifications.service.push import PushOutcome, _reason, _transient

SMS_ID_NAMESPACE = uuid.UUID("0d3c1f4e-7b5a-4c62-8e0f-2a9d6b1c5e73")
TARGET = "sms"  # the delivery record's target: one SMS per outbox row
MONTHLY_CAP = "monthly cap"
CONCURRENT_SENDS = 8


@dataclass(frozen=True)
class Sms:
    reference: uuid.UUID  # the same on every attempt of this SMS
    to: str  # E.164
    text: str


class SmsSender(Protocol):
    async def send(self, sms: Sms) -> PushOutcome: ...

    async def aclose(self) -> None: ...


def sms_configured(settings: Settings) -> bool:
    return bool(
        settings.sms_gateway_url
        and (settings.sms_token or (settings.sms_username and settings.sms_password))
    )


class HttpSmsSender:
    """A generic HTTP SMS gateway: JSON POST with bearer or basic auth."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        assert sms_configured(settings)
        self.url = settings.sms_gateway_url or ""
        self.sender_name = settings.sms_sender_name[:11]  # alphanumeric senders: 11 at most
        if settings.sms_token:
            authorization = f"Bearer {settings.sms_token}"
        else:
            pair = f"{settings.sms_username}:{settings.sms_password}".encode()
            authorization = f"Basic {base64.b64encode(pair).decode()}"
        self.headers = {"authorization": authorization}
        self.client = client or httpx.AsyncClient(timeout=settings.push_timeout_seconds)

    async def send(self, sms: Sms) -> PushOutcome:
        body = {
            "sender": self.sender_name,
            "to": sms.to,
            "text": sms.text,
            "reference": str(sms.reference),
        }
        try:
            response = await self.client.post(self.url, json=body, headers=self.headers)
        except httpx.HTTPError as exc:
            return PushOutcome("retry", reason=f"sms: {type(exc).__name__}: {exc}"[:400])
        if 200 <= response.status_code < 300:
            return PushOutcome("delivered", provider_id=_message_id(response))
        reason = _reason(response, "error")
        if response.status_code == 429 or response.status_code >= 500:
            return _transient(response, reason)
        return PushOutcome("rejected", reason=reason)

    async def aclose(self) -> None:
        await self.client.aclose()


def _message_id(response: httpx.Response) -> str | None:
    try:
        answer: Any = response.json()
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    found = answer.get("id") or answer.get("messageId") or answer.get("message_id")
    return str(found)[:200] if found is not None else None


def sms_reference(row_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(SMS_ID_NAMESPACE, str(row_id))


def sms_text(row: OutboxEntry, language: str, settings: Settings) -> str:
    link = settings.public_url.rstrip("/") + row.link
    return translate(f"sms_{row.kind}", language, sender=row.sender_name, link=link)


def month_start(now: datetime, timezone: str = "Europe/Copenhagen") -> datetime:
    """The start of the institution's local calendar month holding `now`, in UTC: the cap
    counts Danish months, so an SMS at 00:30 on the 1st (local) is the new month's."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Europe/Copenhagen")
    local = now.astimezone(zone)
    first = datetime(local.year, local.month, 1, tzinfo=zone)
    return first.astimezone(UTC)


async def deliver_sms(
    db: AsyncSession,
    rows: list[OutboxEntry],
    *,
    sender: SmsSender | None,
    users: dict[uuid.UUID, User],
    settings: Settings,
    now: datetime,
) -> DeviceRound:
    """Send the claimed SMS rows within each institution's monthly cap; record each one."""
    result = DeviceRound()
    records: list[dict[str, object]] = []

    def record(row: OutboxEntry, status: str, outcome: PushOutcome | None = None) -> None:
        records.append(
            record_of(
                row,
                target=TARGET,
                status=status,
                provider_id=outcome.provider_id if outcome else None,
                reason=outcome.reason if outcome else None,
                now=now,
            )
        )

    def give_up(row: OutboxEntry, reason: str) -> None:
        record(row, "given_up", PushOutcome("rejected", reason=reason))
        result.errors[row.id] = GIVE_UP + reason

    to_send: list[OutboxEntry] = []
    async with write_transaction(db):
        institutions = {r.institution_id for r in rows}
        # The institutions' rows locked while their month is counted and this round's SMS
        # written as sent: two workers never both fill the cap's last place.
        found = (
            await db.execute(
                select(Institution.id, Institution.settings, Institution.timezone)
                .where(Institution.id.in_(institutions))
                .order_by(Institution.id)
                .with_for_update()
            )
        ).all()
        caps = {i.id: settings_from(i.settings) for i in found}
        # Each institution's own local month, begun in UTC.
        months = {i.id: month_start(now, i.timezone) for i in found}
        earlier = {
            d.outbox_id: d.status
            for d in (
                await db.execute(
                    select(NotificationDelivery.outbox_id, NotificationDelivery.status).where(
                        NotificationDelivery.outbox_id.in_([r.id for r in rows]),
                        NotificationDelivery.target == TARGET,
                    )
                )
            ).all()
        }
        used: dict[uuid.UUID, int] = {
            institution_id: count
            for institution_id, count in (
                await db.execute(
                    select(NotificationDelivery.institution_id, func.count())
                    .where(
                        or_(
                            false(),
                            *(
                                and_(
                                    NotificationDelivery.institution_id == institution_id,
                                    NotificationDelivery.created_at >= start,
                                )
                                for institution_id, start in months.items()
                            ),
                        ),
                        NotificationDelivery.channel == "sms",
                        NotificationDelivery.status.in_(("sent", "delivered")),
                    )
                    .group_by(NotificationDelivery.institution_id)
                )
            ).all()
        }
        for row in sorted(rows, key=lambda r: (r.created_at, r.id)):
            user = users.get(row.user_id)
            chosen = caps.get(row.institution_id)
            if earlier.get(row.id) == "delivered":
                result.errors[row.id] = None
            elif earlier.get(row.id) == "given_up":
                result.errors[row.id] = GIVE_UP + "given up before"
            elif sender is None:
                give_up(row, "sms gateway not configured")
            elif chosen is None or not chosen.urgent_sms_enabled:
                give_up(row, "sms switched off by the institution")
            elif user is None or not user.phone:
                give_up(row, "no phone number")
            elif earlier.get(row.id) == "sent":
                to_send.append(row)  # counted when it was first sent: a resend, same reference
            elif used.get(row.institution_id, 0) >= chosen.sms_monthly_cap:
                give_up(row, MONTHLY_CAP)
            else:
                used[row.institution_id] = used.get(row.institution_id, 0) + 1
                to_send.append(row)
                record(row, "sent")  # counts against the cap even if the worker dies now
        await _write_records(db, records)
    records.clear()
    if not to_send or sender is None:
        return result

    gate = asyncio.Semaphore(CONCURRENT_SENDS)

    async def send(row: OutboxEntry) -> PushOutcome:
        user = users[row.user_id]
        sms = Sms(
            reference=sms_reference(row.id),
            to=user.phone or "",
            text=sms_text(row, user.preferred_language, settings),
        )
        async with gate:
            try:
                return await sender.send(sms)
            except Exception as exc:  # a sender's bug must not stop the round
                return PushOutcome("retry", reason=f"{type(exc).__name__}: {exc}"[:400])

    outcomes = await asyncio.gather(*(send(row) for row in to_send))
    for row, outcome in zip(to_send, outcomes, strict=True):
        if outcome.status == "delivered":
            record(row, "delivered", outcome)
            result.errors[row.id] = None
            result.delivered += 1
        elif outcome.status == "retry":
            record(row, "failed", outcome)
            result.errors[row.id] = f"sms: {outcome.reason}"
            if outcome.retry_after is not None:
                result.retry_after[row.id] = outcome.retry_after
        else:
            give_up(row, f"sms: {outcome.reason}")
    async with write_transaction(db):
        await _write_records(db, records, attempt=False)  # counted when written as sent
    return result
