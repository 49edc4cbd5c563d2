"""Work without a user: the `seddel worker` loop (outbox delivery plus periodic jobs) and
`seddel retention`. The jobs themselves live in their slices; the lists of them are
app/root/jobs.py, which app.cli hands in.

Every job runs under row-level security like a request: app.core.system_scope lists the institutions
through the one narrow policy, then each retention job runs in a session scoped to a single
institution (see app/core/system_scope.py for why)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.core.events import bind_sessions
from app.core.system_scope import institution_ids, institution_session
from app.db import RequestSession, utcnow, write_transaction
from app.notifications.models import JobRun
from app.notifications.service.senders import Senders, create_senders
from app.notifications.service.worker import DeliveryReport, deliver_due
from app.privacy.audit.service.recording import audit_as_system
from app.realtime import Broker, InProcessBroker
from app.storage import ObjectStorage

log = logging.getLogger("seddel.jobs")


class RetentionJob(Protocol):
    """Deletes one institution's expired data in its own transaction(s); deletes stored
    objects after the commit; returns how many rows it removed."""

    def __call__(
        self, *, db: AsyncSession, storage: ObjectStorage, institution_id: uuid.UUID, now: datetime
    ) -> Awaitable[int]: ...


@dataclass(frozen=True)
class JobContext:
    """What a job works with, and what its transactions' after-commit handlers reach
    (app.core.events.Outside): its sessions publish through `broker` what they record."""

    sessions: async_sessionmaker[RequestSession]
    storage: ObjectStorage
    settings: Settings
    now: datetime
    # Tells the servers' subscribers what a job changed (SEDDEL_BROKER=postgres); the default
    # in-process broker reaches no one, as no subscriber listens in the worker's process.
    broker: Broker = field(default_factory=InProcessBroker)
    # The job's name when its writes to a child's data go into the audit trail as SYSTEM's.
    audited_as: str | None = None

    def __post_init__(self) -> None:
        # The job's own factory of the same sessions, bound to this context: the factory it
        # was given (a server's, in tests) keeps its own binding.
        sessions = async_sessionmaker(class_=self.sessions.class_, **dict(self.sessions.kw))
        bind_sessions(sessions, self)
        if self.audited_as is not None:
            audit_as_system(sessions, self.audited_as)
        object.__setattr__(self, "sessions", sessions)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[JobContext], Awaitable[object]]
    # Its writes to a child's data are in the audit trail (SYSTEM, under the job's name).
    audited: bool = False


async def run_retention(
    context: JobContext, jobs: Sequence[tuple[str, RetentionJob]]
) -> dict[str, int]:
    """Every retention job for every institution, each institution in its own scope. One
    failing institution or job is logged and does not stop the others."""
    totals = {name: 0 for name, _ in jobs}
    async with context.sessions() as db:
        ids = await institution_ids(db)
    for institution_id in ids:
        for name, job in jobs:
            try:
                async with institution_session(context.sessions, institution_id) as db:
                    totals[name] += await job(
                        db=db,
                        storage=context.storage,
                        institution_id=institution_id,
                        now=context.now,
                    )
            except Exception:
                log.exception("retention job %s failed for institution %s", name, institution_id)
    log.info("retention done: %s", totals)
    return totals


async def claim_job_run(db: AsyncSession, name: str, every: timedelta, now: datetime) -> bool:
    """True for exactly one caller per period, whatever the number of workers: the run is
    claimed by an insert or a conditional update of its row, atomic in the database."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    async with write_transaction(db):
        inserted = await db.execute(
            insert(JobRun)
            .values(name=name, last_started_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        if inserted.rowcount == 1:  # type: ignore[attr-defined]
            return True
        claimed = await db.execute(
            update(JobRun)
            .where(JobRun.name == name, JobRun.last_started_at <= now - every)
            .values(last_started_at=now)
        )
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


async def run_due_jobs(
    *,
    sessions: async_sessionmaker[RequestSession],
    storage: ObjectStorage,
    settings: Settings,
    jobs: Sequence[PeriodicJob],
    now: datetime | None = None,
    broker: Broker | None = None,
) -> list[str]:
    """Run the periodic jobs whose time has come; returns the names of those run."""
    now = now or utcnow()
    ran = []
    for job in jobs:
        async with sessions() as db:
            if not await claim_job_run(db, job.name, job.every, now):
                continue
        try:
            await job.run(
                JobContext(
                    sessions=sessions,
                    storage=storage,
                    settings=settings,
                    now=now,
                    broker=broker if broker is not None else InProcessBroker(),
                    audited_as=job.name if job.audited else None,
                )
            )
        except Exception:
            log.exception("periodic job %s failed", job.name)
        ran.append(job.name)
    return ran


async def run_worker(
    *,
    sessions: async_sessionmaker[RequestSession],
    storage: ObjectStorage,
    settings: Settings,
    jobs: Sequence[PeriodicJob],
    senders: Senders | None = None,
    stop: asyncio.Event | None = None,
    broker: Broker | None = None,
) -> None:
    """`seddel worker`: deliver due notifications, run due periodic jobs, sleep, repeat.
    A full batch goes round again at once; stop by setting `stop` (or SIGTERM/SIGINT)."""
    senders = senders or create_senders(settings)
    stop = stop or asyncio.Event()
    log.info("worker started")
    while not stop.is_set():
        report = DeliveryReport()
        try:
            report = await deliver_due(sessions=sessions, senders=senders, settings=settings)
            await run_due_jobs(
                sessions=sessions, storage=storage, settings=settings, jobs=jobs, broker=broker
            )
        except Exception:  # the database may be away for a moment: keep the loop alive
            log.exception("worker round failed")
        if report.handled:
            log.info(
                "notifications: %d sent, %d retried, %d failed",
                report.sent,
                report.retried,
                report.failed,
            )
        if report.handled < 100:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=settings.worker_poll_seconds)
    log.info("worker stopped")
