"""Retention of pickup data: `pickup_retention_months` after a child's last day its pickup
persons (with their photos, in storage too), pickup plans and their history, codeword and
go-home-alone permission go, unless the child is under a legal hold. Contributed to the
retention run as the rule "pickup"."""

from __future__ import annotations

from sqlalchemy import delete, select

from app.attendance.pickup.models import PickupCodeword, PickupPerson
from app.attendance.plans.models import GoHomeAlonePermission, PickupPlan, PickupPlanChange
from app.db import write_transaction
from app.files.models import StoredFile
from app.files.service import uploads as files
from app.privacy.retention.service.rules import KindReport, RuleRun, chunks, register_retention_rule


@register_retention_rule("pickup")
async def pickup_rule(run: RuleRun) -> KindReport:
    db, institution_id = run.db, run.institution_id
    async with write_transaction(db):
        gone, kept = await run.departed(run.settings.pickup_retention_months)
    report = KindReport(kept=kept)
    for batch in chunks(gone):
        async with write_transaction(db):
            photo_ids = (
                await db.scalars(
                    select(PickupPerson.photo_file_id).where(
                        PickupPerson.institution_id == institution_id,
                        PickupPerson.child_id.in_(batch),
                        PickupPerson.photo_file_id.is_not(None),
                    )
                )
            ).all()
            for model in (PickupPlan, PickupPlanChange, GoHomeAlonePermission, PickupCodeword):
                result = await db.execute(
                    delete(model).where(
                        model.institution_id == institution_id, model.child_id.in_(batch)
                    )
                )
                report.deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
            result = await db.execute(
                delete(PickupPerson).where(
                    PickupPerson.institution_id == institution_id,
                    PickupPerson.child_id.in_(batch),
                )
            )
            report.deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
            stored = (
                await db.scalars(select(StoredFile).where(StoredFile.id.in_(photo_ids)))
            ).all()
            keys = await files.forget_files(db=db, files=stored)
        await files.delete_objects(run.storage, keys)
    return report
