"""Mail about a person's account (reset links, "your password was changed", confirming a new
address): the outbox's rows that are no institution's.

`enqueue` runs inside the transaction that recorded AccountMailRequested (app.core.events),
so the row commits or rolls back with the change it tells about. `deliver_account_emails`
is the worker's: sent at once (never in a digest), in the person's language, retried with the
outbox's backoff. A row whose link has a token gets it minted here, its hash committed before
the mail is handed over (app.accounts.service.recovery.mint_token): the database never holds
a token that works. A row without a recipient (a reset asked for an address no account has)
or whose link can no longer work is given up without sending."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.events import AccountMailRequested
from app.accounts.models import User
from app.accounts.service.recovery import mint_token
from app.config import Settings
from app.core import events
from app.core.i18n import translate
from app.db import RequestSession, new_id, utcnow, write_transaction
from app.notifications.models import AccountEmail
from app.notifications.service.senders import DigestEmail, Senders, message_id_domain

if TYPE_CHECKING:
    from app.notifications.service.worker import DeliveryReport

log = logging.getLogger("seddel.notifications")
MAX_BACKOFF = timedelta(hours=6)
# Where the apps open the links (the token in the fragment: never sent to a server, never in
# an access log or a Referer header).
LINK_PATHS = {
    "password_reset": "/account/reset-password#token=",
    "email_change": "/account/confirm-email#token=",
}
FORGOT_PASSWORD_PATH = "/account/forgot-password"
NOT_SENT = "no recipient, or the link can no longer work"


@events.on(AccountMailRequested)
async def enqueue(db: AsyncSession, happened: AccountMailRequested) -> None:
    """One row, written the same way whether or not it has a recipient."""
    await db.execute(
        insert(AccountEmail).values(
            id=new_id(),
            kind=happened.kind,
            user_id=happened.user_id,
            token_id=happened.token_id,
            to_address=happened.to_address,
            status="pending",
            attempts=0,
            due_at=utcnow(),
            created_at=utcnow(),
        )
    )


@dataclass
class _Prepared:
    row: AccountEmail
    email: DigestEmail | None  # None: give up without sending


def _backoff(settings: Settings, attempts: int) -> timedelta:
    return min(
        timedelta(seconds=settings.notify_backoff_seconds * 2 ** (attempts - 1)), MAX_BACKOFF
    )


def compose(
    row: AccountEmail, user: User, settings: Settings, *, token: str | None, new_email: str | None
) -> DigestEmail:
    """The mail of one row, in the person's language."""
    language = user.preferred_language
    base = settings.public_url.rstrip("/")
    if row.kind == "password_reset":
        to_address = user.email
        body = translate(
            "mail_password_reset_body",
            language,
            minutes=settings.password_reset_ttl_seconds // 60,
            link=base + LINK_PATHS["password_reset"] + (token or ""),
        )
    elif row.kind == "email_change":
        to_address = new_email or row.to_address or user.email
        body = translate(
            "mail_email_change_body",
            language,
            hours=settings.email_change_ttl_seconds // 3600,
            link=base + LINK_PATHS["email_change"] + (token or ""),
        )
    elif row.kind == "account_erasure":
        to_address = user.email
        erased_on = row.created_at + timedelta(days=settings.account_erasure_grace_days)
        body = translate("mail_account_erasure_body", language, day=erased_on.date().isoformat())
    elif row.kind == "email_changed":
        to_address = row.to_address or user.email
        body = translate("mail_email_changed_body", language, new_email=user.email)
    else:  # password_changed
        to_address = user.email
        body = translate(
            "mail_password_changed_body",
            language,
            when=row.created_at.strftime("%Y-%m-%d %H:%M"),
            link=base + FORGOT_PASSWORD_PATH,
        )
    greeting = translate("email_greeting", language, name=user.name)
    return DigestEmail(
        # A resend mints a new link: a new mail, with a Message-ID of its own.
        idempotency_key=f"<{row.id.hex}.{row.attempts}.account@{message_id_domain(settings)}>",
        to_address=to_address,
        to_name=user.name,
        subject=translate(f"mail_{row.kind}_subject", language),
        text=f"{greeting}\n\n{body}\n",
        items=(),
    )


async def _claim(
    db: AsyncSession, *, settings: Settings, now: datetime, batch: int
) -> list[_Prepared]:
    """Lease what is due and mint its links, in one transaction committed before sending."""
    lease = timedelta(seconds=settings.notify_lease_seconds)
    async with write_transaction(db):
        rows = list(
            (
                await db.scalars(
                    select(AccountEmail)
                    .where(AccountEmail.status == "pending", AccountEmail.due_at <= now)
                    .order_by(AccountEmail.due_at, AccountEmail.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
        )
        wanted = {row.user_id for row in rows if row.user_id is not None}
        users: dict[uuid.UUID, User] = {}
        if wanted:
            found = await db.scalars(select(User).where(User.id.in_(wanted)))
            users = {user.id: user for user in found.all()}
        prepared: list[_Prepared] = []
        for row in rows:
            row.attempts += 1
            row.due_at = now + lease
            user = users.get(row.user_id) if row.user_id is not None else None
            if user is None or not user.is_active:
                prepared.append(_Prepared(row, None))
                continue
            token = new_email = None
            if row.token_id is not None:
                minted = await mint_token(db, token_id=row.token_id, now=now)
                if minted is None:
                    prepared.append(_Prepared(row, None))
                    continue
                token, new_email = minted.token, minted.new_email
            prepared.append(
                _Prepared(row, compose(row, user, settings, token=token, new_email=new_email))
            )
    return prepared


async def deliver_account_emails(
    *,
    sessions: async_sessionmaker[RequestSession],
    senders: Senders,
    settings: Settings,
    report: DeliveryReport,
    now: datetime | None = None,
    batch: int = 100,
) -> None:
    """One round: claim, mint, send, record; counted into the worker's `report`."""
    now = now or utcnow()
    async with sessions() as db:
        prepared = await _claim(db, settings=settings, now=now, batch=batch)
        if not prepared:
            return
        outcome: dict[uuid.UUID, str | None] = {}
        for item in prepared:
            if item.email is None:
                outcome[item.row.id] = NOT_SENT
                continue
            try:
                await senders.email.send_email(item.email)
                outcome[item.row.id] = None
            except Exception as exc:  # any sender failure is retried; the worker goes on
                log.warning("account mail delivery failed: %s", exc)
                outcome[item.row.id] = f"{type(exc).__name__}: {exc}"[:500]
        async with write_transaction(db):
            for item in prepared:
                error = outcome[item.row.id]
                values: dict[str, object]
                if error is None:
                    values = {"status": "sent", "sent_at": now, "last_error": None}
                    report.sent += 1
                elif error == NOT_SENT or item.row.attempts >= settings.notify_max_attempts:
                    values = {"status": "failed", "last_error": error}
                    if error != NOT_SENT:  # a request for nobody is no failure to report
                        report.failed += 1
                        report.errors.append(error)
                else:
                    values = {
                        "last_error": error,
                        "due_at": now + _backoff(settings, item.row.attempts),
                    }
                    report.retried += 1
                    report.errors.append(error)
                await db.execute(
                    update(AccountEmail).where(AccountEmail.id == item.row.id).values(**values)
                )
