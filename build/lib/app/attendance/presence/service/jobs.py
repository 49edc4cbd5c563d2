"""The attendance job for `seddel worker`: the nightly close of forgotten check-outs."""

from __future__ import annotations

import logging
from typing import Any

from app.attendance.presence.service.nightly import close_forgotten_checkouts
from app.core.system_scope import institution_ids, institution_session

log = logging.getLogger("seddel.jobs")


async def nightly(context: Any) -> int:
    """Close stays left open from an earlier day, institution by institution (each in its own
    scope). Safe to run hourly: only stays from before the institution's local midnight are
    touched, so the first run after midnight does the work. `context` is app.ops.jobs.JobContext;
    its sessions publish what the close records (the tablets and guardians of each closed
    stay hear of it, when the worker has a shared broker)."""
    async with context.sessions() as db:
        ids = await institution_ids(db)
    closed = 0
    for institution_id in ids:
        try:
            async with institution_session(context.sessions, institution_id) as db:
                closed += await close_forgotten_checkouts(
                    db=db, institution_id=institution_id, now=context.now
                )
        except Exception:
            log.exception("nightly close failed for institution %s", institution_id)
    log.info("nightly close: %d stays closed", closed)
    return closed
