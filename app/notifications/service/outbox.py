"""The outbox: `enqueue` writes the rows of a notification in the caller's transaction.

It is what messaging and announcements call inside the transaction that writes the
message or announcement: the outbox rows commit (or roll back) with it, and `seddel worker`
delivers them later (app.notifications.service.worker)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, cast, func, literal, null, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.config import Settings
from app.core.events import OUTSIDE
from app.db import new_id, utcnow
from app.institutions.models import Institution
from app.institutions.service.settings import settings_from
from app.notifications.models import NotificationPreferences, OutboxEntry
from app.notifications.service.devices import URGENT_KINDS
from app.notifications.service.preferences import Preferences, quiet_hours_end

PREVIEW_LENGTH = 120


def digest_window(db: AsyncSession) -> timedelta:
    """E-mails are digests: what arrives within SEDDEL_EMAIL_DIGEST_MINUTES goes out as one
    mail. The one place the window is read, for every kind of notification: from the
    settings of the server or worker whose session factory made `db` (the defaults for a
    session made outside one, such as `seddel demo`'s)."""
    outside = db.sync_session.info.get(OUTSIDE)
    settings: Settings = outside.settings if outside is not None else Settings()
    return timedelta(minutes=settings.email_digest_minutes)


def _preview(text: str | None, sensitive: bool) -> str | None:
    """Sensitive text never goes into a push notification (lock screens, Apple, Google)."""
    if sensitive or not text:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1] + "…"


@dataclass
class DeliveryFacts:
    """What the outbox needs to know of its recipients (their preferences, the digest each one
    has collecting), read by the caller together with whom it reaches (`delivery_columns`),
    so that enqueuing reads nothing. `enqueue` keeps `digests` current as it adds rows: a
    second notification in the same transaction joins the digest the first one opened."""

    preferences: dict[uuid.UUID, Preferences] = field(default_factory=dict)
    digests: dict[uuid.UUID, datetime] = field(default_factory=dict)

    def add(self, row: Any) -> None:
        """One row of a select that carries `delivery_columns`."""
        if row.d_push_enabled is not None:
            self.preferences[row.user_id] = Preferences(
                push_enabled=row.d_push_enabled,
                email_digest_enabled=row.d_email_digest_enabled,
                quiet_start=row.d_quiet_start,
                quiet_end=row.d_quiet_end,
                timezone=row.d_timezone,
            )
        if row.d_digest_due is not None:
            self.digests[row.user_id] = row.d_digest_due


def delivery_columns(user_id: ColumnElement[Any], now: datetime) -> list[Any]:
    """Columns for a select of recipients (`user_id`): their preferences (null: the defaults)
    and the digest still collecting for them, as `_preferences_and_digests` reads them; the
    caller outer-joins NotificationPreferences on `user_id` (`delivery_join`)."""
    digest = (
        select(func.min(OutboxEntry.due_at))
        .where(
            OutboxEntry.user_id == user_id,
            OutboxEntry.channel == "email",
            OutboxEntry.status == "pending",
            OutboxEntry.attempts == 0,
            OutboxEntry.due_at > now,
        )
        .scalar_subquery()
    )
    return [
        NotificationPreferences.push_enabled.label("d_push_enabled"),
        NotificationPreferences.email_digest_enabled.label("d_email_digest_enabled"),
        NotificationPreferences.quiet_start.label("d_quiet_start"),
        NotificationPreferences.quiet_end.label("d_quiet_end"),
        NotificationPreferences.timezone.label("d_timezone"),
        digest.label("d_digest_due"),
    ]


def delivery_join(user_id: ColumnElement[Any]) -> tuple[Any, ColumnElement[bool]]:
    """The outer join `delivery_columns` needs: (target, on clause)."""
    return NotificationPreferences, NotificationPreferences.user_id == user_id


# 14 columns a row: well under PostgreSQL's 32,767 and SQLite's 32,766 bind parameters.
OUTBOX_ROWS_PER_INSERT = 1000


async def enqueue(
    *,
    db: AsyncSession,
    institution_id: uuid.UUID,
    recipients: Collection[uuid.UUID],
    kind: str,
    subject_id: uuid.UUID,
    sender_name: str,
    link: str,
    preview: str | None = None,
    sensitive: bool = False,
    muted: Collection[uuid.UUID] = (),
    now: datetime | None = None,
    institution_zone: str | None = None,
    known: DeliveryFacts | None = None,
    into: list[dict[str, object]] | None = None,
) -> int:
    """Write the outbox rows for a new message or announcement, inside the caller's
    transaction: one per recipient and channel they want (push, e-mail digest). Muted
    recipients get none; push in quiet hours waits until they end; e-mails are digests and
    carry the sender and the link, never the text. Enqueuing the same subject twice for a
    recipient adds nothing (idempotency key). `known`: the recipients' preferences and
    digests when the caller read them already (then nothing is read here). Returns the
    number of rows written. `into`: collect the rows there instead, for one `write_rows` of
    several notifications (a message that fanned out into several threads)."""
    now = now or utcnow()
    wanted = set(recipients) - set(muted)
    if not wanted:
        return 0
    if known is None:
        prefs, digest_due = await _preferences_and_digests(db, wanted, now)
    else:
        prefs = {user_id: known.preferences.get(user_id, Preferences()) for user_id in wanted}
        digest_due = known.digests
    if institution_zone is None:  # a caller that read the institution already passes it
        institution_zone = await db.scalar(
            select(Institution.timezone).where(Institution.id == institution_id)
        )
    shown = _preview(preview, sensitive)
    digest_closes = now + digest_window(db)
    rows: list[dict[str, object]] = []
    for user_id in sorted(wanted):
        pref = prefs[user_id]
        base = {
            "institution_id": institution_id,
            "user_id": user_id,
            "kind": kind,
            "subject_id": subject_id,
            "sender_name": sender_name[:200],
            "link": link[:500],
            "status": "pending",
            "attempts": 0,
            "created_at": now,
        }
        if pref.push_enabled:
            zone = pref.timezone or institution_zone or "Europe/Copenhagen"
            # A child sent home or an incident cannot wait for the morning.
            urgent = kind in URGENT_KINDS
            held = None if urgent else quiet_hours_end(now, pref.quiet_start, pref.quiet_end, zone)
            rows.append(
                base
                | {
                    "id": new_id(),
                    "channel": "push",
                    "preview": shown,
                    "due_at": held or now,
                    "idempotency_key": f"{kind}:{subject_id}:{user_id}:push",
                }
            )
        if pref.email_digest_enabled:
            rows.append(
                base
                | {
                    "id": new_id(),
                    "channel": "email",
                    "preview": None,  # e-mails never carry the text
                    "due_at": digest_due.get(user_id, digest_closes),
                    "idempotency_key": f"{kind}:{subject_id}:{user_id}:email",
                }
            )
    if kind in URGENT_KINDS:
        rows += await _sms_rows(
            db, institution_id, wanted, kind, subject_id, now, sender_name=sender_name, link=link
        )
    if not rows:
        return 0
    if known is not None:  # what this adds is the digest a later enqueue joins
        for row in rows:
            if row["channel"] == "email":
                known.digests.setdefault(row["user_id"], row["due_at"])  # type: ignore[arg-type]
    if into is not None:
        into.extend(rows)
        return len(rows)
    await write_rows(db, rows)
    return len(rows)


async def _sms_rows(
    db: AsyncSession,
    institution_id: uuid.UUID,
    wanted: Collection[uuid.UUID],
    kind: str,
    subject_id: uuid.UUID,
    now: datetime,
    *,
    sender_name: str,
    link: str,
) -> list[dict[str, object]]:
    """An urgent notification also goes by SMS to each recipient with a phone number, when
    the institution opted in (one statement: its settings with those recipients' phones).
    Whether it is sent (the monthly cap) is the worker's decision."""
    found = (
        await db.execute(
            select(Institution.settings, User.id, User.phone)
            .outerjoin(User, and_(User.id.in_(wanted), User.phone.is_not(None)))
            .where(Institution.id == institution_id)
        )
    ).all()
    if not found or not settings_from(found[0].settings).urgent_sms_enabled:
        return []
    rows: list[dict[str, object]] = []
    for row in sorted(found, key=lambda r: str(r.id)):
        if row.id is None or not row.phone:
            continue
        rows.append(
            {
                "institution_id": institution_id,
                "user_id": row.id,
                "kind": kind,
                "subject_id": subject_id,
                "sender_name": sender_name[:200],
                "link": link[:500],
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "id": new_id(),
                "channel": "sms",
                "preview": None,  # an SMS never carries the text
                "due_at": now,  # urgent: quiet hours do not hold it
                "idempotency_key": f"{kind}:{subject_id}:{row.id}:sms",
            }
        )
    return rows


async def write_rows(db: AsyncSession, rows: list[dict[str, object]]) -> None:
    """The outbox rows `enqueue` made, written together."""
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # One multi-row INSERT per chunk, not one per row (an executemany runs per row on
    # asyncpg): a broadcast to the whole institution costs what a note to one family does.
    for start in range(0, len(rows), OUTBOX_ROWS_PER_INSERT):
        chunk = rows[start : start + OUTBOX_ROWS_PER_INSERT]
        await db.execute(
            insert(OutboxEntry)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )


async def write_many_rows(db: AsyncSession, rows: list[dict[str, object]]) -> None:
    """Thousands of outbox rows of one shape (a roster import's invitations): the same
    multi-row INSERTs as `write_rows`, built by SQLAlchemy's "insertmanyvalues" from one
    cached compilation rather than compiling a statement of a thousand VALUES per chunk."""
    if not rows:
        return
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table: Table = OutboxEntry.__table__  # type: ignore[assignment]
    await db.execute(
        insert(table)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id),
        rows,
    )


async def _preferences_and_digests(
    db: AsyncSession, user_ids: Collection[uuid.UUID], now: datetime
) -> tuple[dict[uuid.UUID, Preferences], dict[uuid.UUID, datetime]]:
    """Recipients' preferences, and each one's digest that is still collecting (not yet
    tried: new items join it), in one statement (a UNION ALL of the two)."""
    prefs = select(
        literal("preferences").label("part"),
        NotificationPreferences.user_id,
        NotificationPreferences.push_enabled,
        NotificationPreferences.email_digest_enabled,
        NotificationPreferences.quiet_start,
        NotificationPreferences.quiet_end,
        NotificationPreferences.timezone,
        cast(null(), OutboxEntry.due_at.type).label("due_at"),
    ).where(NotificationPreferences.user_id.in_(user_ids))
    digests = (
        select(
            literal("digest"),
            OutboxEntry.user_id,
            cast(null(), NotificationPreferences.push_enabled.type),
            cast(null(), NotificationPreferences.email_digest_enabled.type),
            cast(null(), NotificationPreferences.quiet_start.type),
            cast(null(), NotificationPreferences.quiet_end.type),
            cast(null(), NotificationPreferences.timezone.type),
            func.min(OutboxEntry.due_at),
        )
        .where(
            OutboxEntry.user_id.in_(user_ids),
            OutboxEntry.channel == "email",
            OutboxEntry.status == "pending",
            OutboxEntry.attempts == 0,
            OutboxEntry.due_at > now,
        )
        .group_by(OutboxEntry.user_id)
    )
    found: dict[uuid.UUID, Preferences] = {}
    due: dict[uuid.UUID, datetime] = {}
    for row in (await db.execute(union_all(prefs, digests))).all():
        if row.part == "digest":
            due[row.user_id] = row.due_at
        else:
            found[row.user_id] = Preferences(
                push_enabled=row.push_enabled,
                email_digest_enabled=row.email_digest_enabled,
                quiet_start=row.quiet_start,
                quiet_end=row.quiet_end,
                timezone=row.timezone,
            )
    return {user_id: found.get(user_id, Preferences()) for user_id in user_ids}, due
