"""Retention of the daily log: a child's day entries (with their versions and incident
receipts, which cascade) go `day_entry_retention_months` after the child's last day, unless
the child is under a legal hold. Contributed to the retention run as the rule "day entries"."""

from __future__ import annotations

from sqlalchemy import delete

from app.daybook.models import DayEntry
from app.db import write_transaction
from app.privacy.retention.service.rules import KindReport, RuleRun, chunks, register_retention_rule


@register_retention_rule("day entries")
async def day_entries_rule(run: RuleRun) -> KindReport:
    async with write_transaction(run.db):
        gone, kept = await run.departed(run.settings.day_entry_retention_months)
    report = KindReport(kept=kept)
    for batch in chunks(gone):
        async with write_transaction(run.db):
            result = await run.db.execute(
                delete(DayEntry).where(
                    DayEntry.institution_id == run.institution_id, DayEntry.child_id.in_(batch)
                )
            )
        report.deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return report
