"""Legal holds: `legalHolds` (admins), `placeLegalHold`, `releaseLegalHold`."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.api.errors import errors_as_data
from app.api.idempotency import IdempotencyKeyArg, first, idempotent
from app.api.ids import decode
from app.api.permissions import IsAuthenticated
from app.core.errors import NotFound
from app.privacy.retention import models
from app.privacy.retention.api.types import LegalHold, PlaceLegalHoldResult, ReleaseLegalHoldResult
from app.privacy.retention.service import holds


@strawberry.type
class LegalHoldQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The institution's legal holds, newest first, released ones too unless "
        "`inForceOnly` (admins); null for anyone else.",
    )
    async def legal_holds(
        self, info: Info, institution_id: strawberry.ID, in_force_only: bool = False
    ) -> list[LegalHold] | None:
        try:
            rows = await holds.legal_holds(
                db=info.context.db,
                actor=await info.context.require_actor(),
                institution_id=decode(institution_id, "Institution", field="institutionId"),
                in_force_only=in_force_only,
            )
        except NotFound:
            return None
        return [LegalHold.of(row) for row in rows]


@strawberry.type
class LegalHoldMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Put a legal hold on a child or a thread (exactly one of them), with the "
        "reason (admins of its institution).",
    )
    @errors_as_data
    @idempotent(models.LegalHold, present=first(LegalHold.of))
    async def place_legal_hold(
        self,
        info: Info,
        reason: str,
        child_id: strawberry.ID | None = None,
        thread_id: strawberry.ID | None = None,
        idempotency_key: IdempotencyKeyArg = None,
    ) -> PlaceLegalHoldResult:
        row = await holds.place_legal_hold(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId") if child_id else None,
            thread_id=decode(thread_id, "Thread", field="threadId") if thread_id else None,
            reason=reason,
        )
        return LegalHold.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Release a legal hold (admins of its institution): it stays listed.",
    )
    @errors_as_data
    async def release_legal_hold(
        self, info: Info, legal_hold_id: strawberry.ID
    ) -> ReleaseLegalHoldResult:
        row = await holds.release_legal_hold(
            db=info.context.db,
            actor=await info.context.require_actor(),
            hold_id=decode(legal_hold_id, "LegalHold", field="legalHoldId"),
        )
        return LegalHold.of(row)
