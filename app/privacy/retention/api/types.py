"""GraphQL types of legal holds: thin shells over the rows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Union

import strawberry

from app.api.errors import ConflictError, IdempotencyKeyReusedError, NotFoundError, ValidationError
from app.api.ids import encode
from app.privacy.retention import models


@strawberry.type(
    description="An admin's legal hold on a child (everything of the child) or a thread (with "
    "its replies and files): nothing under it is deleted until an admin releases it."
)
class LegalHold:
    id: strawberry.ID
    child_id: strawberry.ID | None = strawberry.field(description="A Child, or null.")
    thread_id: strawberry.ID | None = strawberry.field(description="A Thread, or null.")
    hold_reason: str = strawberry.field(description="Why the admin holds it.")
    placed_at: dt.datetime
    placed_by_id: strawberry.ID = strawberry.field(description="A User id.")
    placed_by_name: str = strawberry.field(description="The name as it was when placed.")
    released_at: dt.datetime | None
    released_by_id: strawberry.ID | None
    released_by_name: str | None
    in_force: bool = strawberry.field(description="Not released.")

    @classmethod
    def of(cls, row: models.LegalHold) -> LegalHold:
        return cls(
            id=strawberry.ID(encode("LegalHold", row.id)),
            child_id=strawberry.ID(encode("Child", row.child_id)) if row.child_id else None,
            thread_id=strawberry.ID(encode("Thread", row.thread_id)) if row.thread_id else None,
            hold_reason=row.reason,
            placed_at=row.placed_at,
            placed_by_id=strawberry.ID(str(row.placed_by)),
            placed_by_name=row.placed_by_name,
            released_at=row.released_at,
            released_by_id=strawberry.ID(str(row.released_by)) if row.released_by else None,
            released_by_name=row.released_by_name,
            in_force=row.released_at is None,
        )


PlaceLegalHoldResult = Annotated[
    Union[LegalHold, ValidationError, NotFoundError, IdempotencyKeyReusedError],
    strawberry.union("PlaceLegalHoldResult"),
]
ReleaseLegalHoldResult = Annotated[
    Union[LegalHold, NotFoundError, ConflictError], strawberry.union("ReleaseLegalHoldResult")
]
