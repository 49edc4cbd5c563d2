"""Retention of attendance: `attendance_retention_months` after a child's last day its stays
and absences are anonymised, not deleted, because the attendance report counts them (children
present and absent per group and day, minutes present: app/attendance/presence/service/
views.py reads only the child, group, times and kind). What goes: who picked the child up
(user, pickup person, name), override reasons, absence notes, the tablets' event log and the
vacation-survey answers. The stays keep pointing at the child row, which the child record's
rule strips of name, birth day and guardians when its own months have passed. A child under
a legal hold keeps everything. Contributed to the retention run as the rule "attendance"."""

from __future__ import annotations

from sqlalchemy import delete, or_, update

from app.attendance.absences.models import Absence
from app.attendance.presence.models import Presence, PresenceEvent
from app.attendance.surveys.models import VacationAnswer
from app.db import write_transaction
from app.privacy.retention.service.rules import KindReport, RuleRun, chunks, register_retention_rule


@register_retention_rule("attendance")
async def attendance_rule(run: RuleRun) -> KindReport:
    db, institution_id = run.db, run.institution_id
    async with write_transaction(db):
        gone, kept = await run.departed(run.settings.attendance_retention_months)
    report = KindReport(kept=kept)
    for batch in chunks(gone):
        async with write_transaction(db):
            stays = await db.execute(
                update(Presence)
                .where(
                    Presence.institution_id == institution_id,
                    Presence.child_id.in_(batch),
                    or_(
                        Presence.picked_up_by_user.is_not(None),
                        Presence.picked_up_by_person.is_not(None),
                        Presence.picked_up_by_name.is_not(None),
                        Presence.override_reason.is_not(None),
                    ),
                )
                .values(
                    picked_up_by_user=None,
                    picked_up_by_person=None,
                    picked_up_by_name=None,
                    override_reason=None,
                )
            )
            absences = await db.execute(
                update(Absence)
                .where(
                    Absence.institution_id == institution_id,
                    Absence.child_id.in_(batch),
                    Absence.note != "",
                )
                .values(note="")
            )
            report.anonymised += int(stays.rowcount or 0) + int(absences.rowcount or 0)  # type: ignore[attr-defined]
            for model in (PresenceEvent, VacationAnswer):
                result = await db.execute(
                    delete(model).where(
                        model.institution_id == institution_id, model.child_id.in_(batch)
                    )
                )
                report.deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return report
