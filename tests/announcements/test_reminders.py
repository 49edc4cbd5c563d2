"""Announcements with a due date: the worker reminds those who have not confirmed (and may)
the day before, once, through the outbox; the staff see who is overdue afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from app.accounts.models import User
from app.announcements.models import Announcement
from app.announcements.service.reminders import REMINDER
from app.core.system_scope import all_institutions_session
from app.db import utcnow, write_transaction
from app.notifications.models import OutboxEntry
from app.ops.jobs import JobContext
from app.root.jobs import PERIODIC_JOBS
from tests.announcements.helpers import JONAS, METTE, PERNILLE, guardians_of_group, post
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, institution_id

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def _raw(global_id: str):  # type: ignore[no-untyped-def]
    import base64
    import uuid

    return uuid.UUID(base64.b64decode(global_id).decode().split(":", 1)[1])


async def _reminded(runtime, announcement: str) -> set[str]:
    async with all_institutions_session(runtime.sessions) as db:
        rows = await db.execute(
            select(User.email)
            .join(OutboxEntry, OutboxEntry.user_id == User.id)
            .where(OutboxEntry.kind == REMINDER, OutboxEntry.subject_id == _raw(announcement))
        )
        return set(rows.scalars().all())


async def test_the_worker_reminds_the_day_before_once_and_not_the_confirmed(client, runtime):
    today = datetime.now(COPENHAGEN).date()
    made = await post(
        client, requiresConfirmation=True, dueOn=(today + timedelta(days=3)).isoformat()
    )
    confirmed = await client.gql("ConfirmAnnouncement", {"announcementId": made["id"]}, as_=METTE)
    assert confirmed["confirmAnnouncement"]["myReceipt"]["confirmedAt"] is not None
    job = next(j for j in PERIODIC_JOBS if j.name == "announcement-reminders")

    def at(days: int) -> JobContext:
        return JobContext(
            sessions=runtime.sessions,
            storage=runtime.storage,
            settings=runtime.settings,
            now=utcnow() + timedelta(days=days),
        )

    assert await job.run(at(0)) == 0 and await job.run(at(1)) == 0  # not earlier
    assert await _reminded(runtime, made["id"]) == set()
    reminded = await job.run(at(2))  # the day before
    expected = await guardians_of_group(client, "Bjørnene") - {METTE, JONAS}
    # Mette confirmed; Jonas has no custody and the institution does not let him confirm.
    assert reminded == len(expected) and await _reminded(runtime, made["id"]) == expected
    assert await job.run(at(2)) == 0 and await job.run(at(3)) == 0  # once


async def test_staff_see_who_is_overdue(client, runtime, assert_max_queries):
    today = datetime.now(COPENHAGEN).date()
    made = await post(
        client, requiresConfirmation=True, dueOn=(today + timedelta(days=1)).isoformat()
    )
    await client.gql("ConfirmAnnouncement", {"announcementId": made["id"]}, as_=METTE)
    async with all_institutions_session(runtime.sessions) as db, write_transaction(db):
        await db.execute(
            update(Announcement)
            .where(Announcement.id == _raw(made["id"]))
            .values(due_on=today - timedelta(days=1))
        )
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    await client.token_for(PERNILLE)
    with assert_max_queries(6):
        data = await client.gql(
            "OverdueAnnouncementConfirmations", {"institutionId": iid}, as_=PERNILLE
        )
    (overdue,) = data["overdueAnnouncementConfirmations"]
    assert overdue["announcementId"] == made["id"] and overdue["title"] == made["title"]
    names = [c["childName"] for c in overdue["children"]]
    assert "Liva Holm-Jensen" not in names  # her mother confirmed
    assert len(names) == len(set(names)) > 0 and all(
        c["guardians"] is not None for c in overdue["children"]
    )
    for outsider in (METTE, REGNBUEN_ADMIN):
        seen = await client.gql(
            "OverdueAnnouncementConfirmations", {"institutionId": iid}, as_=outsider
        )
        assert seen["overdueAnnouncementConfirmations"] == []
