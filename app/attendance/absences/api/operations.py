"""GraphQL operations of absences: the child's absences, registering one, reporting well,
cancelling."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import errors_as_data
from app.api.idempotency import IdempotencyKeyArg, first, idempotent
from app.api.ids import decode, plain_uuid
from app.api.permissions import IsAuthenticated
from app.attendance.absences import service as absence_service
from app.attendance.absences.api.types import Absence, AbsenceKind, AbsenceResult
from app.attendance.absences.models import Absence as AbsenceRow
from app.attendance.api.types import AttendanceDone, AttendanceDoneResult
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access


@strawberry.type
class AbsenceQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The child's absences touching the period: for staff and its guardians.",
    )
    async def absences(
        self, info: Info, child_id: strawberry.ID, start: dt.date, end: dt.date
    ) -> list[Absence]:
        actor = await info.context.require_actor()
        rows = await absence_service.absences(
            db=info.context.db,
            actor=actor,
            child_id=decode(child_id, "Child", field="childId"),
            start=start,
            end=end,
        )
        record_access(
            info.context.db,
            actor,
            child_ids=[row.child_id for row in rows],
            kind=AccessKind.ABSENCES,
            operation=operation_name(info),
        )
        return [Absence.of(row) for row in rows]


@strawberry.type
class AbsenceMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    @idempotent(AbsenceRow, present=first(Absence.of))
    async def register_absence(
        self,
        info: Info,
        child_id: strawberry.ID,
        kind: AbsenceKind,
        from_day: dt.date,
        until_day: dt.date | None = None,
        note: str = "",
        idempotency_key: IdempotencyKeyArg = None,
    ) -> AbsenceResult:
        row = await absence_service.register_absence(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            kind=kind.value,
            from_day=from_day,
            until_day=until_day,
            note=note,
        )
        return Absence.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def report_well(
        self, info: Info, absence_id: strawberry.ID, back_on: dt.date
    ) -> AbsenceResult:
        row = await absence_service.report_well(
            db=info.context.db,
            actor=await info.context.require_actor(),
            absence_id=plain_uuid(absence_id, field="absenceId"),
            back_on=back_on,
        )
        return Absence.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def cancel_absence(self, info: Info, absence_id: strawberry.ID) -> AttendanceDoneResult:
        await absence_service.cancel_absence(
            db=info.context.db,
            actor=await info.context.require_actor(),
            absence_id=plain_uuid(absence_id, field="absenceId"),
        )
        return AttendanceDone()
