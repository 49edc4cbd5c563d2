"""The jobs every slice hands the worker: retention (daily, per institution) and the periodic
jobs of `seddel worker`. One line per job; app.cli passes these lists to app.ops.jobs.

Retention of the kinds of personal data is the slices' rules, run by app.privacy.retention
with legal holds honoured; importing the modules below registers them. The housekeeping
jobs (delivered notifications, unclaimed uploads, idempotency keys) hold no one's data past
its use and run as before."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

import app.announcements.service.retention
import app.attendance.pickup.service.retention
import app.attendance.service.retention
import app.childrecord.service.retention
import app.daybook.service.retention
import app.gallery.service.retention
import app.messaging.service.retention
import app.privacy.audit.service.retention  # noqa: F401  the retention rules register themselves
from app.accounts.federation.service.codes import sweep_federated_logins_job
from app.accounts.service.idempotency import purge_expired_keys
from app.accounts.service.recovery import sweep_account_tokens_job
from app.accounts.service.second_factor import sweep_challenges_job
from app.accounts.service.throttling import sweep_login_throttles_job
from app.announcements.service.reminders import announcement_reminders_job
from app.attendance.presence.service.jobs import nightly as attendance_nightly
from app.files.service.uploads import sweep_unclaimed
from app.institutions.roster.service.imports import purge_expired_imports
from app.institutions.service.moves import group_moves_job
from app.messaging.service.membership import departed_children_job
from app.notifications.service.retention import purge_delivered_notifications
from app.ops.jobs import JobContext, PeriodicJob, RetentionJob, run_retention
from app.ops.retention import dry_run
from app.privacy.accesslog.service.retention import access_log_retention_report
from app.privacy.export.service.build import build_queued_exports
from app.privacy.export.service.expiry import expire_data_exports
from app.privacy.retention.service.accounts import unlinked_accounts
from app.privacy.retention.service.run import RetentionReport, run_retention_rules
from app.root.export import export_gatherer

RETENTION_JOBS: list[tuple[str, RetentionJob]] = [
    ("notifications", purge_delivered_notifications),
    ("unclaimed uploads", sweep_unclaimed),
    ("idempotency keys", purge_expired_keys),
    ("roster dry runs", purge_expired_imports),
]


async def retention_report(context: JobContext) -> RetentionReport:
    """Every retention rule and job for every institution, with what each kept under hold."""
    report = await run_retention_rules(
        sessions=context.sessions, storage=context.storage, now=context.now
    )
    report.add_counts(await run_retention(context, RETENTION_JOBS))
    # Not per institution on PostgreSQL: its monthly partitions hold every institution's rows.
    report.kind("access log").add(await access_log_retention_report(context))
    report.kind("unlinked accounts").add(
        await unlinked_accounts(
            sessions=context.sessions,
            now=context.now,
            grace=timedelta(days=context.settings.account_erasure_grace_days),
        )
    )
    return report


async def retention_lines(
    context: JobContext, *, dry_run_on: AsyncConnection | None = None
) -> list[str]:
    """What `seddel retention` prints; with `dry_run_on` (a connection) the run is rolled
    back there and no object is deleted (app.ops.retention)."""
    if dry_run_on is None:
        return (await retention_report(context)).lines()
    report, _ = await dry_run(context, dry_run_on, retention_report)
    return report.lines(dry_run=True)


async def retention(context: JobContext) -> dict[str, int]:
    """`seddel retention`, and daily in the worker: how much went, per kind."""
    return (await retention_report(context)).totals()


async def data_exports(context: JobContext) -> list[object]:
    """The queued Art. 15 exports, built and announced (a few per worker round)."""
    return list(
        await build_queued_exports(
            sessions=context.sessions,
            storage=context.storage,
            gather=export_gatherer(context),
            now=context.now,
        )
    )


async def data_export_expiry(context: JobContext) -> int:
    """Exports past their seven days: the ZIP deleted, the row marked expired."""
    return await expire_data_exports(
        sessions=context.sessions, storage=context.storage, now=context.now
    )


# The worker runs these when due. The attendance job is hourly because it is idempotent: the
# first run after each institution's local midnight closes the day before.
PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("retention", timedelta(days=1), retention),
    # Every round: a person waits for their export.
    PeriodicJob("data-exports", timedelta(0), data_exports),
    PeriodicJob("data-export-expiry", timedelta(hours=1), data_export_expiry),
    PeriodicJob("attendance-nightly", timedelta(hours=1), attendance_nightly, audited=True),
    PeriodicJob("messaging-departed-children", timedelta(hours=1), departed_children_job),
    PeriodicJob("announcement-reminders", timedelta(hours=1), announcement_reminders_job),
    # Planned group moves and leavings: the first run of an institution's day applies them.
    PeriodicJob("group-moves", timedelta(hours=1), group_moves_job, audited=True),
    PeriodicJob("login-throttles", timedelta(hours=1), sweep_login_throttles_job),
    PeriodicJob("account-tokens", timedelta(hours=1), sweep_account_tokens_job),
    PeriodicJob("second-factor-challenges", timedelta(hours=1), sweep_challenges_job),
    PeriodicJob("federated-logins", timedelta(hours=1), sweep_federated_logins_job),
]
