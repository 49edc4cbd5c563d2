"""GraphQL operations of absences: the child's absences, registering one, reporting well,
cancelling."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import errors_as_data
from app.api.idempotency import IdempotencyKeyArg, first, idempotent, idempotent_forms
from app.api.ids import decode, decode_each, plain_uuid
from app.api.permissions import IsAuthenticated
from app.attendance.absences import service as absence_service
from app.attendance.absences.api.types import (
    Absence,
    AbsenceKind,
    AbsenceResult,
    SiblingAbsences,
)
from app.attendance.absences.models import Absence as AbsenceRow
from app.attendance.api.types import AttendanceDone, AttendanceDoneResult
from app.core.errors import ValidationFailed
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
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Register an absence for one child (`childId`: answers `Absence`) or the same "
        "absence for several children of yours at once (`childIds`, siblings: answers "
        "`SiblingAbsences`). The list form is one transaction and atomic: if any child is "
        "refused, none is registered and `ChildrenRefusedError` lists each refused child "
        "(its position in `childIds`) with its own error; resend without it.",
    )
    @errors_as_data
    @idempotent_forms
    async def register_absence(
        self,
        info: Info,
        kind: AbsenceKind,
        from_day: dt.date,
        child_id: strawberry.ID | None = None,
        child_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="Several children (at most 10) instead of `childId`."),
        ] = None,
        until_day: dt.date | None = None,
        note: str = "",
        idempotency_key: IdempotencyKeyArg = None,
    ) -> AbsenceResult:
        if (child_id is None) == (child_ids is None):
            raise ValidationFailed("one_child_or_siblings", field="childIds")
        if child_ids is not None:
            return await _register_for_siblings(
                info=info,
                child_ids=child_ids,
                kind=kind,
                from_day=from_day,
                until_day=until_day,
                note=note,
                idempotency_key=idempotency_key,
            )
        assert child_id is not None
        return await _register_for_one(
            info=info,
            child_id=child_id,
            kind=kind,
            from_day=from_day,
            until_day=until_day,
            note=note,
            idempotency_key=idempotency_key,
        )

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


# The two forms answer with different types, so each replays through its own `idempotent`
# (the fingerprint covers the form: a key used for one form is refused for the other).
@idempotent(AbsenceRow, present=first(Absence.of))
async def _register_for_one(
    *,
    info: Info,
    child_id: strawberry.ID,
    kind: AbsenceKind,
    from_day: dt.date,
    until_day: dt.date | None,
    note: str,
    idempotency_key: str | None,
) -> Absence:
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


@idempotent(AbsenceRow, present=SiblingAbsences.of)
async def _register_for_siblings(
    *,
    info: Info,
    child_ids: list[strawberry.ID],
    kind: AbsenceKind,
    from_day: dt.date,
    until_day: dt.date | None,
    note: str,
    idempotency_key: str | None,
) -> SiblingAbsences:
    rows = await absence_service.register_absences(
        db=info.context.db,
        actor=await info.context.require_actor(),
        child_ids=decode_each(child_ids, "Child"),
        kind=kind.value,
        from_day=from_day,
        until_day=until_day,
        note=note,
    )
    return SiblingAbsences.of(rows)
