"""`seddel retention` and `seddel worker --once` as an operator runs them (a real process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete

from app.db import create_engine
from app.notifications.models import JobRun

ROOT = Path(__file__).resolve().parents[2]


def _run(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEDDEL_DATABASE_URL": settings.database_url, "SEDDEL_LOG_JSON": "0"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_retention_command_runs_every_job_for_every_institution(settings):
    done = _run(settings, "retention")
    assert done.returncode == 0, done.stderr
    reported = done.stdout.splitlines()[0]
    assert reported.startswith("retention: ")
    for job in ("announcements", "messages", "notifications", "unclaimed uploads", "photos"):
        assert f"{job} 0" in reported


async def test_worker_once_delivers_and_runs_due_jobs(settings):
    try:
        done = _run(settings, "worker", "--once")
        assert done.returncode == 0, done.stderr
        assert "sent 0, retried 0, failed 0" in done.stdout
    finally:
        # The process committed its claims of the periodic jobs: without this, a later test
        # that runs a job "now" would find it already run today.
        owner = create_engine(settings.owner_database_url)
        async with owner.begin() as connection:
            await connection.execute(delete(JobRun))
        await owner.dispose()
