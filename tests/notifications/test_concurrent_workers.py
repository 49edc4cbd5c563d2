"""Several workers on PostgreSQL: FOR UPDATE SKIP LOCKED and the lease keep them apart, so
no notification is delivered twice. Real commits on separate connections (cleaned up after)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from app.core.system_scope import all_institutions_session
from app.db import session_factory, utcnow
from app.institutions.models import GuardianLink
from app.notifications.models import OutboxEntry
from app.notifications.service import outbox as notifications
from app.notifications.service.senders import LoggingSender, Senders
from app.notifications.service.worker import deliver_due
from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="SKIP LOCKED is PostgreSQL's")


class SlowSender(LoggingSender):
    async def send_push(self, push):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.01)  # long enough for the other worker to come by
        await super().send_push(push)

    async def send_email(self, email):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.01)
        await super().send_email(email)


async def test_two_workers_never_deliver_the_same_notification(engine, settings):
    sessions = session_factory(engine)
    subject = uuid.uuid4()
    async with all_institutions_session(sessions) as db, db.begin():
        link = (await db.scalars(select(GuardianLink).limit(1))).one()
        users = set(
            (
                await db.scalars(
                    select(GuardianLink.user_id).where(
                        GuardianLink.institution_id == link.institution_id
                    )
                )
            ).all()
        )
        written = await notifications.enqueue(
            db=db,
            institution_id=link.institution_id,
            recipients=users,
            kind="concurrency-test",
            subject_id=subject,
            sender_name="Test",
            link="/test",
            preview="Test",
        )
    try:
        later = utcnow() + timedelta(hours=1)

        async def worker(sender: SlowSender) -> None:
            chosen = Senders(push=sender, email=sender)
            while (
                await deliver_due(
                    sessions=sessions, senders=chosen, settings=settings, now=later, batch=4
                )
            ).handled:
                pass

        first, second = SlowSender(), SlowSender()
        await asyncio.gather(worker(first), worker(second))
        keys = [p.idempotency_key for s in (first, second) for p in s.pushes]
        mails = [m.to_address for s in (first, second) for m in s.emails]
        assert len(keys) == len(set(keys)) == len(users)
        assert len(mails) == len(set(mails)) == len(users)
        assert len(keys) + len(mails) == written
    finally:
        async with all_institutions_session(sessions) as db, db.begin():
            await db.execute(delete(OutboxEntry).where(OutboxEntry.subject_id == subject))
