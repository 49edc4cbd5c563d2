"""Delivery of the notification outbox: claim due rows, send, mark sent, retry with backoff.

Guarantees, honestly stated:
- One row per (kind, subject, recipient, channel) (unique idempotency key), so enqueuing
  twice never notifies twice.
- Several workers may run: due rows are claimed with FOR UPDATE SKIP LOCKED (PostgreSQL;
  SQLite has one writer and runs one worker) and leased (due_at moves `lease` ahead), so no
  two workers hold the same row.
- A row marked sent is never picked again.
- The one gap: a worker that dies after the sender accepted a notification but before it
  marked the row sent. When its lease runs out the row is sent again: delivery is
  at-least-once there. The idempotency key goes with it (the dedup key of a push API that
  has one; an e-mail's Message-ID, stored on its rows before the hand-over: the resent
  digest holds the same rows under the same Message-ID, rows that arrived since go in a
  mail of their own), so a receiver that deduplicates shows it once.
  Lease (SEDDEL_NOTIFY_LEASE_SECONDS) is kept well above the send timeout, so a slow send
  is not mistaken for a dead worker.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import User
from app.config import Settings
from app.core.i18n import MESSAGES, translate
from app.core.system_scope import all_institutions_session
from app.db import RequestSession, utcnow, write_transaction
from app.notifications.models import NotificationDelivery, OutboxEntry
from app.notifications.service import account_mail, personal
from app.notifications.service.devices import (
    GIVE_UP,
    _write_records,
    deliver_to_devices,
    record_of,
)
from app.notifications.service.senders import (
    DigestEmail,
    DigestItem,
    PushNotification,
    Senders,
    message_id_domain,
)
from app.notifications.service.sms import deliver_sms

log = logging.getLogger("seddel.notifications")
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


def backoff(settings: Settings, attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min… (doubling), at most six hours."""
    return min(
        timedelta(seconds=settings.notify_backoff_seconds * 2 ** (attempts - 1)), MAX_BACKOFF
    )


async def _claim(
    db: AsyncSession,
    *,
    now: datetime,
    batch: int,
    lease: timedelta,
    message_id_domain: str = "seddel.invalid",
) -> list[OutboxEntry]:
    """Lease what is due. An e-mail row is leased with every pending row of its digest (a
    digest is never split), and a row that has no Message-ID yet gets its digest's new one
    here, committed before anything is handed to SMTP: from then on it is that row's for
    good."""
    async with write_transaction(db):
        rows = list(
            (
                await db.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.status == "pending", OutboxEntry.due_at <= now)
                    .order_by(OutboxEntry.due_at, OutboxEntry.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
        )
        rows += await _rest_of_their_digests(db, rows)
        fresh: dict[uuid.UUID, str] = {}
        for row in rows:
            row.attempts += 1
            row.due_at = now + lease
            if row.channel == "email" and row.email_message_id is None:
                if row.kind in personal.KINDS:  # one mail each, never part of a digest
                    row.email_message_id = f"<{uuid.uuid4().hex}.{row.kind}@{message_id_domain}>"
                    continue
                if row.user_id not in fresh:
                    fresh[row.user_id] = f"<{uuid.uuid4().hex}.digest@{message_id_domain}>"
                row.email_message_id = fresh[row.user_id]
    return rows


async def _rest_of_their_digests(db: AsyncSession, claimed: list[OutboxEntry]) -> list[OutboxEntry]:
    """Pending rows that were handed over with a claimed row but were not claimed with it
    (the batch limit cut the digest, or they were given up on another schedule)."""
    message_ids = {r.email_message_id for r in claimed if r.email_message_id is not None}
    if not message_ids:
        return []
    return list(
        (
            await db.scalars(
                select(OutboxEntry)
                .where(
                    OutboxEntry.status == "pending",
                    OutboxEntry.email_message_id.in_(message_ids),
                    OutboxEntry.id.not_in([r.id for r in claimed]),
                )
                .with_for_update(skip_locked=True)
            )
        ).all()
    )


def _text_key(prefix: str, kind: str) -> str:
    """The text of this kind of notification (incident, sent_home…), else a message's."""
    key = f"{prefix}_{kind}"
    return key if key in MESSAGES else f"{prefix}_message"


def _push(row: OutboxEntry, settings: Settings, language: str) -> PushNotification:
    title_key = _text_key("push_title", row.kind)
    return PushNotification(
        idempotency_key=row.idempotency_key,
        user_id=row.user_id,
        title=translate(title_key, language, sender=row.sender_name),
        # Never the text (lock screens, Apple, Google): who and what kind, nothing more.
        body=translate("push_body_hidden", language),
        link=settings.public_url.rstrip("/") + row.link,
    )


def _digest(rows: list[OutboxEntry], user: User, settings: Settings) -> DigestEmail:
    """Sender and link per item, never the text; the rows share their Message-ID."""
    language = user.preferred_language
    base = settings.public_url.rstrip("/")
    items = tuple(
        DigestItem(kind=row.kind, sender_name=row.sender_name, link=base + row.link)
        for row in sorted(rows, key=lambda r: (r.created_at, r.id))
    )
    lines = [translate("email_greeting", language, name=user.name), ""]
    for item in items:
        key = _text_key("email_item", item.kind)
        lines.append(translate(key, language, sender=item.sender_name, link=item.link))
    lines += ["", translate("email_footer", language)]
    (message_id,) = {row.email_message_id for row in rows}
    assert message_id is not None  # given at the claim
    return DigestEmail(
        idempotency_key=message_id,
        to_address=user.email,
        to_name=user.name,
        subject=translate("email_subject", language, count=len(items)),
        text="\n".join(lines) + "\n",
        items=items,
    )


async def deliver_due(
    *,
    sessions: async_sessionmaker[RequestSession],
    senders: Senders,
    settings: Settings,
    now: datetime | None = None,
    batch: int = 100,
) -> DeliveryReport:
    """One round: claim what is due, deliver it, record the outcome."""
    now = now or utcnow()
    report = DeliveryReport()
    # Mail about accounts first: a reset link is wanted now, and is no institution's.
    await account_mail.deliver_account_emails(
        sessions=sessions, senders=senders, settings=settings, report=report, now=now
    )
    lease = timedelta(seconds=settings.notify_lease_seconds)
    async with all_institutions_session(sessions) as db:
        claimed = await _claim(
            db, now=now, batch=batch, lease=lease, message_id_domain=message_id_domain(settings)
        )
        if not claimed:
            return report
        users = {
            u.id: u
            for u in (
                await db.scalars(select(User).where(User.id.in_({r.user_id for r in claimed})))
            ).all()
        }
        await db.commit()
        retry_not_before: dict[uuid.UUID, float] = {}
        outcome: dict[uuid.UUID, str | None] = {}  # row id -> None (sent) or the error
        # One mail per Message-ID: a resent digest holds exactly the rows it first held.
        emails: dict[tuple[uuid.UUID, str | None], list[OutboxEntry]] = defaultdict(list)
        pushes: list[OutboxEntry] = []
        texts: list[OutboxEntry] = []
        for row in claimed:
            user = users.get(row.user_id)
            if user is None or not user.is_active:
                outcome[row.id] = GIVE_UP + "recipient inactive"
            elif row.kind in personal.KINDS:
                outcome[row.id] = await _personal(db, row, user, settings, senders, now)
            elif row.channel == "push" and senders.push is not None:
                outcome[row.id] = await _attempt(
                    senders.push.send_push(_push(row, settings, user.preferred_language))
                )
            elif row.channel == "push":
                pushes.append(row)
            elif row.channel == "sms":
                texts.append(row)
            else:
                emails[row.user_id, row.email_message_id].append(row)
        if pushes:
            found = await deliver_to_devices(
                db, pushes, senders=senders.devices, settings=settings, now=now
            )
            outcome.update(found.errors)
            retry_not_before.update(found.retry_after)
        if texts:
            texted = await deliver_sms(
                db, texts, sender=senders.sms, users=users, settings=settings, now=now
            )
            outcome.update(texted.errors)
            retry_not_before.update(texted.retry_after)
        for (user_id, _), rows in emails.items():
            error = await _attempt(
                senders.email.send_email(_digest(rows, users[user_id], settings))
            )
            outcome.update({row.id: error for row in rows})
        await _record(
            db,
            claimed,
            outcome,
            settings=settings,
            now=now,
            report=report,
            retry_not_before=retry_not_before,
        )
    return report


async def _personal(
    db: AsyncSession,
    row: OutboxEntry,
    user: User,
    settings: Settings,
    senders: Senders,
    now: datetime,
) -> str | None:
    """An invitation or "you were added" mail (app.notifications.service.personal), alone."""
    assert row.email_message_id is not None  # given at the claim
    mail = await personal.compose(
        db,
        kind=row.kind,
        subject_id=row.subject_id,
        institution_id=row.institution_id,
        sender_name=row.sender_name,
        message_id=row.email_message_id,
        user=user,
        settings=settings,
        now=now,
    )
    if mail is None:  # accepted or revoked meanwhile: nothing left to say
        return None
    return await _attempt(senders.email.send_email(mail))


async def _attempt(sending: object) -> str | None:
    try:
        await sending  # type: ignore[misc]
    except Exception as exc:  # any sender failure is retried; the worker goes on
        log.warning("notification delivery failed: %s", exc)
        return f"{type(exc).__name__}: {exc}"[:500]
    return None


async def _record(
    db: AsyncSession,
    claimed: list[OutboxEntry],
    outcome: dict[uuid.UUID, str | None],
    *,
    settings: Settings,
    now: datetime,
    report: DeliveryReport,
    retry_not_before: dict[uuid.UUID, float] | None = None,
) -> None:
    sent = [row.id for row in claimed if outcome.get(row.id) is None]
    retry_not_before = retry_not_before or {}
    # Push and SMS rows have their records per device / number already; a digest's rows get
    # theirs here, the digest's Message-ID being the id the mail server knows it by.
    mails: list[dict[str, object]] = []
    for row in claimed:
        if row.channel != "email" or row.kind in personal.KINDS:
            continue
        error = outcome.get(row.id)
        if error is None:
            mails.append(
                record_of(
                    row,
                    target="email",
                    status="delivered",
                    provider_id=row.email_message_id,
                    now=now,
                )
            )
        else:
            final = row.attempts >= settings.notify_max_attempts or error.startswith(GIVE_UP)
            mails.append(
                record_of(
                    row,
                    target="email",
                    status="given_up" if final else "failed",
                    reason=error.removeprefix(GIVE_UP),
                    now=now,
                )
            )
    given_up: list[uuid.UUID] = []
    async with write_transaction(db):
        await _write_records(db, mails)
        if sent:
            await db.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(sent))
                .values(status="sent", sent_at=now, last_error=None)
            )
        for row in claimed:
            error = outcome.get(row.id)
            if error is None:
                continue
            give_up = row.attempts >= settings.notify_max_attempts or error.startswith(GIVE_UP)
            error = error.removeprefix(GIVE_UP)
            values: dict[str, object] = {"last_error": error[:500]}
            if give_up:
                values["status"] = "failed"
            else:
                wait = backoff(settings, row.attempts)
                # The provider's Retry-After is a floor: never sooner than it asked.
                provider = timedelta(seconds=retry_not_before.get(row.id, 0.0))
                values["due_at"] = now + max(wait, provider)
            await db.execute(update(OutboxEntry).where(OutboxEntry.id == row.id).values(**values))
            if give_up:
                given_up.append(row.id)
            report.errors.append(error)
            if give_up:
                report.failed += 1
            else:
                report.retried += 1
        if given_up:
            # The row's last try is over: a device still failing (or never answered) is given
            # up too, in the record staff read.
            await db.execute(
                update(NotificationDelivery)
                .where(
                    NotificationDelivery.outbox_id.in_(given_up),
                    NotificationDelivery.status.in_(("sent", "failed")),
                )
                .values(status="given_up", updated_at=now)
            )
    report.sent += len(sent)
