"""Keeping the audit trail no longer than the institution's `audit_trail_retention_months`,
counted from each write; a child under a legal hold keeps its rows (and the report says so).
Contributed to the retention run as the rule "audit trail"."""

from __future__ import annotations

from sqlalchemy import delete, select

from app.db import write_transaction
from app.institutions.service.settings import months_before
from app.privacy.audit.models import AuditTrailEntry
from app.privacy.retention.service.rules import KindReport, RuleRun, register_retention_rule


@register_retention_rule("audit trail")
async def audit_trail_rule(run: RuleRun) -> KindReport:
    """Two statements per institution, whatever the number of rows or holds."""
    db, institution_id = run.db, run.institution_id
    cutoff = months_before(run.now, run.settings.audit_trail_retention_months)
    trail = AuditTrailEntry
    expired = (trail.institution_id == institution_id) & (trail.at < cutoff)
    held = sorted(run.holds.children)
    report = KindReport()
    async with write_transaction(db):
        if held:
            kept = (
                await db.scalars(
                    select(trail.child_id).where(expired, trail.child_id.in_(held)).distinct()
                )
            ).all()
            report.kept.extend(run.holds.kept_children(kept))
        query = delete(trail).where(expired)
        if held:
            query = query.where(trail.child_id.not_in(held))
        result = await db.execute(query)
    report.deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return report
