"""The jobs every slice hands the worker: retention (daily, per institution) and the periodic
jobs of `seddel worker`. One line per job; app.cli passes these lists to app.ops.jobs."""

from __future__ import annotations

from datetime import timedelta

from app.accounts.federation.service.codes import sweep_federated_logins_job
from app.accounts.service.auth import sweep_login_throttles_job
from app.accounts.service.idempotency import purge_expired_keys
from app.accounts.service.recovery import sweep_account_tokens_job
from app.accounts.service.second_factor import sweep_challenges_job
from app.announcements.service.reminders import announcement_reminders_job
from app.announcements.service.retention import purge_expired_announcements
from app.attendance.presence.service.jobs import nightly as attendance_nightly
from app.files.service.uploads import sweep_unclaimed
from app.gallery.service.retention import purge_expired_photos
from app.messaging.service.membership import departed_children_job
from app.messaging.service.retention import purge_expired_threads
from app.notifications.service.retention import purge_delivered_notifications
from app.ops.jobs import JobContext, PeriodicJob, RetentionJob, run_retention
from app.privacy.accesslog.service.retention import access_log_retention

RETENTION_JOBS: list[tuple[str, RetentionJob]] = [
    ("announcements", purge_expired_announcements),
    ("messages", purge_expired_threads),
    ("notifications", purge_delivered_notifications),
    ("unclaimed uploads", sweep_unclaimed),
    ("photos", purge_expired_photos),
    ("idempotency keys", purge_expired_keys),
]


async def retention(context: JobContext) -> dict[str, int]:
    """Every retention job for every institution (`seddel retention`, and daily in the worker)."""
    totals = await run_retention(context, RETENTION_JOBS)
    # Not per institution on PostgreSQL: its monthly partitions hold every institution's rows.
    totals["access log"] = await access_log_retention(context)
    return totals


# The worker runs these when due. The attendance job is hourly because it is idempotent: the
# first run after each institution's local midnight closes the day before.
PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("retention", timedelta(days=1), retention),
    PeriodicJob("attendance-nightly", timedelta(hours=1), attendance_nightly),
    PeriodicJob("messaging-departed-children", timedelta(hours=1), departed_children_job),
    PeriodicJob("announcement-reminders", timedelta(hours=1), announcement_reminders_job),
    PeriodicJob("login-throttles", timedelta(hours=1), sweep_login_throttles_job),
    PeriodicJob("account-tokens", timedelta(hours=1), sweep_account_tokens_job),
    PeriodicJob("second-factor-challenges", timedelta(hours=1), sweep_challenges_job),
    PeriodicJob("federated-logins", timedelta(hours=1), sweep_federated_logins_job),
]
