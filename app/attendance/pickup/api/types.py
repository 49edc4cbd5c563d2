"""GraphQL types of pickup: the pickup person, the codeword, and the person's input."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Union

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import IdempotencyKeyReusedError, NotFoundError, ValidationError
from app.api.node import node_of
from app.attendance.pickup import models
from app.attendance.pickup.policies import visible_pickup_persons
from app.files import loaders as file_loaders
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access

if TYPE_CHECKING:
    from app.files.api.types import File


@strawberry.type(name="PickupPerson")
class PickupPersonNode(relay.Node):
    id: relay.NodeID[str]
    name: str
    relation: str
    phone: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    photo_file_id: strawberry.Private[uuid.UUID | None] = None

    @classmethod
    def of(cls, row: models.PickupPerson) -> PickupPersonNode:
        return cls(
            id=str(row.id),
            name=row.name,
            relation=row.relation,
            phone=row.phone,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            photo_file_id=row.photo_file_id,
        )

    @strawberry.field(description="Optional photo, for staff at the door and the guardians.")
    async def photo(
        self, info: Info
    ) -> Annotated[File, strawberry.lazy("app.files.api.types")] | None:
        if self.photo_file_id is None:
            return None
        row = await info.context.loaders.get(file_loaders.file_by_id).load(self.photo_file_id)
        return node_of(info, "File", row) if row is not None else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PickupPersonNode | None]:
        actor = await info.context.require_actor()
        ids = [uuid.UUID(i) for i in node_ids]
        rows = await info.context.db.scalars(
            select(models.PickupPerson).where(
                models.PickupPerson.id.in_(ids), visible_pickup_persons(actor)
            )
        )
        found = {row.id: row for row in rows.all()}
        nodes = [cls.of(found[i]) if i in found else None for i in ids]
        record_access(
            info.context.db,
            actor,
            child_ids=[row.child_id for row in found.values()],
            kind=AccessKind.PICKUP,
            operation=operation_name(info),
        )
        return nodes


@strawberry.type
class PickupCodeword:
    is_set: bool
    codeword: str | None = strawberry.field(
        description="Only the institution's staff see the word."
    )


@strawberry.input
class PickupPersonInput:
    name: str
    relation: str = ""
    phone: str = ""
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


PickupPersonResult = Annotated[
    Union[PickupPersonNode, ValidationError, NotFoundError, IdempotencyKeyReusedError],
    strawberry.union("PickupPersonResult"),
]
