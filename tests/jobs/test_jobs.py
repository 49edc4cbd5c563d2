"""System jobs: retention per institution (under its own scope), the periodic-job registry
that runs each job once per period whatever the number of workers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from app.announcements.models import Announcement
from app.core.system_scope import all_institutions_session, institution_ids
from app.db import utcnow
from app.institutions.service.settings import months_before
from app.ops.jobs import JobContext, PeriodicJob, run_due_jobs
from app.root.jobs import retention as run_retention
from tests.announcements.helpers import METTE, listed, post
from tests.helpers import SOLSIKKEN_ADMIN


async def _age(runtime, announcement_global_id: str, days: int) -> None:
    from strawberry.relay import GlobalID

    key = GlobalID.from_id(announcement_global_id).node_id
    async with all_institutions_session(runtime.sessions) as db, db.begin():
        await db.execute(
            update(Announcement)
            .where(Announcement.id == __import__("uuid").UUID(key))
            .values(created_at=utcnow() - timedelta(days=days))
        )


async def test_retention_deletes_announcements_older_than_the_institutions_setting(client, runtime, settings):
    from tests.announcements.helpers import PERNILLE
    from tests.files import pdf_bytes, upload
    from tests.helpers import institution_id

    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    file = await upload(client, as_=PERNILLE, institution=iid, purpose="attachment", filename="plan.pdf", data=pdf_bytes())
    old = await post(client, title="Gammelt", attachmentIds=[file["id"]])
    recent = await post(client, title="Nyt")
    await _age(runtime, old["id"], days=2 * 365 + 30)  # older than the default 24 months
    await _age(runtime, recent["id"], days=300)
    context = JobContext(sessions=runtime.sessions, storage=runtime.storage, settings=settings, now=utcnow())
    totals = await run_retention(context)
    assert totals["announcements"] == 1
    assert [a["title"] for a in await listed(client, SOLSIKKEN_ADMIN)] == ["Nyt"]
    assert [a["title"] for a in await listed(client, METTE)] == ["Nyt"]
    root = runtime.storage.root
    left = [p for p in root.rglob("*") if p.is_file() and not {".meta", ".tmp"} & set(p.relative_to(root).parts)]
    assert left == []  # the attachment's stored objects went with it
    # Running again removes nothing more.
    assert (await run_retention(context))["announcements"] == 0


async def test_a_job_lists_every_institution_without_a_user(runtime):
    async with runtime.sessions() as db:
        ids = await institution_ids(db)
    assert len(ids) == 2


async def test_a_periodic_job_runs_once_per_period_whatever_the_workers(runtime, settings):
    runs: list[datetime] = []

    async def job(context: JobContext) -> None:
        runs.append(context.now)

    jobs = [PeriodicJob("test-nightly", timedelta(days=1), job)]
    now = utcnow()
    for worker in range(3):  # three workers in the same minute
        await run_due_jobs(sessions=runtime.sessions, storage=runtime.storage, settings=settings, now=now + timedelta(seconds=worker), jobs=jobs)
    assert runs == [now]
    await run_due_jobs(sessions=runtime.sessions, storage=runtime.storage, settings=settings, now=now + timedelta(hours=23), jobs=jobs)
    assert len(runs) == 1
    await run_due_jobs(sessions=runtime.sessions, storage=runtime.storage, settings=settings, now=now + timedelta(days=1), jobs=jobs)
    assert len(runs) == 2


def test_months_before_clamps_the_day():
    assert months_before(datetime(2026, 3, 31, 12), 1) == datetime(2026, 2, 28, 12)
    assert months_before(datetime(2026, 11, 23), 24) == datetime(2024, 11, 23)
    assert months_before(datetime(2026, 1, 15), 13) == datetime(2024, 12, 15)
