"""Reading account mail in tests: run the worker's round as `seddel worker` would, with the
logging sender (or a real SMTP server), and take the link out of the mail."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.notifications.models import AccountEmail
from app.notifications.service.senders import DigestEmail, LoggingSender, Senders
from app.notifications.service.worker import deliver_due

TOKEN_IN_LINK = re.compile(r"#token=([A-Za-z0-9_-]+)")


async def deliver(runtime: Any, sender: Any | None = None) -> list[DigestEmail]:
    """One worker round; the e-mails it handed over."""
    chosen = sender or LoggingSender()
    await deliver_due(
        sessions=runtime.sessions,
        senders=Senders(push=LoggingSender(), email=chosen),
        settings=runtime.settings,
    )
    return list(getattr(chosen, "emails", []))


def token_in(mail: DigestEmail) -> str:
    found = TOKEN_IN_LINK.search(mail.text)
    assert found, mail.text
    return found.group(1)


async def account_emails(runtime: Any) -> list[AccountEmail]:
    async with runtime.sessions() as db:
        rows = (
            await db.scalars(
                select(AccountEmail).order_by(AccountEmail.created_at, AccountEmail.id)
            )
        ).all()
        await db.commit()
        return list(rows)
