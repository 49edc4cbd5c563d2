"""Retention of the child itself: `child_record_retention_months` after a child's last day its
record (health data, emergency contacts, medication consents), its guardians' links and
contact-list choices go, and the child row is anonymised: no name, no birth day (the year
stays, for the statistics' age groups), no protection flag. The row itself stays so that the
anonymised attendance keeps its counts. A child under a legal hold keeps everything.
Contributed to the retention run as the rule "child record" (which runs last)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select, update

from app.childrecord.models import ChildRecord, EmergencyContact, MedicationConsent
from app.db import write_transaction
from app.institutions.contacts.models import ContactSharing
from app.institutions.models import Child, GuardianLink
from app.privacy.retention.service.rules import KindReport, RuleRun, chunks, register_retention_rule

ANONYMOUS = "—"


@register_retention_rule("child record")
async def child_record_rule(run: RuleRun) -> KindReport:
    db, institution_id = run.db, run.institution_id
    async with write_transaction(db):
        gone, kept = await run.departed(run.settings.child_record_retention_months)
    report = KindReport(kept=kept)
    for batch in chunks(gone):
        async with write_transaction(db):
            for model in (
                ChildRecord,
                EmergencyContact,
                MedicationConsent,
                ContactSharing,
                GuardianLink,
            ):
                result = await db.execute(
                    delete(model).where(
                        model.institution_id == institution_id, model.child_id.in_(batch)
                    )
                )
                report.deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
            named = (
                await db.execute(
                    select(Child.id, Child.birth_date).where(
                        Child.institution_id == institution_id,
                        Child.id.in_(batch),
                        Child.first_name != ANONYMOUS,
                    )
                )
            ).all()
            # One statement per birth year (a handful), not per child.
            years = sorted({birth_date.year for _, birth_date in named})
            for year in years:
                await db.execute(
                    update(Child)
                    .where(
                        Child.institution_id == institution_id,
                        Child.id.in_([child_id for child_id, _ in named]),
                        Child.birth_date.between(date(year, 1, 1), date(year, 12, 31)),
                    )
                    .values(
                        first_name=ANONYMOUS,
                        last_name=ANONYMOUS,
                        birth_date=date(year, 1, 1),
                        is_protected=False,
                    )
                )
            report.anonymised += len(named)
    return report
