"""The audit trail's query: a thin shell over service/reading.py."""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from app.api.access import operation_name
from app.api.ids import decode, encode, plain_uuid
from app.api.pagination import Connection, connection
from app.api.permissions import IsAuthenticated
from app.core.errors import NotFound
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access
from app.privacy.audit.models import AuditAction, AuditKind
from app.privacy.audit.service import reading

# What an admin's read of the trail shows of a child, as the access log names it. Custody and
# the roster are the child's roster entry (guardians, name, group): not logged on any read.
READ_AS: dict[str, AccessKind] = {
    AuditKind.DAY_ENTRIES: AccessKind.DAY_ENTRIES,
    AuditKind.PRESENCE: AccessKind.PRESENCE,
    AuditKind.ABSENCES: AccessKind.ABSENCES,
    AuditKind.PICKUP: AccessKind.PICKUP,
    AuditKind.CONSENT: AccessKind.CONSENT,
    AuditKind.CHILD_RECORD: AccessKind.CHILD_RECORD,
}


@strawberry.enum(description="What kind of a child's data was written.")
class AuditedKind(Enum):
    DAY_ENTRIES = AuditKind.DAY_ENTRIES.value
    PRESENCE = AuditKind.PRESENCE.value
    ABSENCES = AuditKind.ABSENCES.value
    PICKUP = AuditKind.PICKUP.value
    CONSENT = AuditKind.CONSENT.value
    CUSTODY = AuditKind.CUSTODY.value
    ROSTER = AuditKind.ROSTER.value
    CHILD_RECORD = AuditKind.CHILD_RECORD.value


@strawberry.enum(description="What a write did to its row.")
class AuditedAction(Enum):
    CREATE = AuditAction.CREATE.value
    UPDATE = AuditAction.UPDATE.value
    DELETE = AuditAction.DELETE.value


@strawberry.type(description="One changed column of a written row.")
class AuditChange:
    field: str = strawberry.field(description="The column, as stored (snake_case).")
    before: str | None = strawberry.field(
        description="The value before, as JSON text; null when the row was created."
    )
    after: str | None = strawberry.field(
        description="The value after, as JSON text; null when the row was deleted. A secret "
        '(a pickup codeword) reads "[redacted]".'
    )


def _changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[AuditChange]:
    keys = list(dict.fromkeys([*(after or {}), *(before or {})]))

    def text(values: dict[str, Any] | None, key: str) -> str | None:
        if values is None or key not in values:
            return None
        return json.dumps(values[key], ensure_ascii=False, sort_keys=True)

    return [
        AuditChange(field=key, before=text(before, key), after=text(after, key)) for key in keys
    ]


@strawberry.type(description="One write to a child's data: who, when, what before and after.")
class AuditTrailEntry:
    id: strawberry.ID
    at: dt.datetime
    child_id: strawberry.ID
    person_id: strawberry.ID | None = strawberry.field(
        description="A User; null for a device or a worker job."
    )
    person_name: str
    role: str = strawberry.field(
        description="ADMIN, STAFF, GUARDIAN, MUNICIPALITY_ADMIN, KIOSK / STAFF_TABLET for a "
        "device, or SYSTEM for a worker job (the nightly close, the yearly move-up)."
    )
    device_id: strawberry.ID | None
    kind: AuditedKind
    action: AuditedAction
    entity_type: str = strawberry.field(description="The table written, e.g. day_entries.")
    entity_id: str
    changes: list[AuditChange] = strawberry.field(
        description="The changed columns (every column of a created or deleted row)."
    )
    operation: str = strawberry.field(
        description="The GraphQL operation that wrote it, the REST route (`POST /admin/roster/"
        "import/{import_id:str}/commit`) or the worker job (`group-moves`)."
    )
    request_id: str

    @classmethod
    def of(cls, row: Any) -> AuditTrailEntry:
        return cls(
            id=strawberry.ID(str(row.id)),
            at=row.at,
            child_id=strawberry.ID(encode("Child", row.child_id)),
            person_id=strawberry.ID(str(row.user_id)) if row.user_id else None,
            person_name=row.person_name or "",
            role=row.role,
            device_id=strawberry.ID(str(row.device_id)) if row.device_id else None,
            kind=AuditedKind(row.kind),
            action=AuditedAction(row.action),
            entity_type=row.entity_type,
            entity_id=row.entity_id,
            changes=_changes(row.before, row.after),
            operation=row.operation,
            request_id=row.request_id,
        )


@strawberry.type
class AuditTrailQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Every write to the institution's children's data since `since`, newest "
        "first (admins of the institution), of one child (`childId`) or one person "
        "(`personId`, a User id) when given; null for anyone else.",
    )
    async def audit_trail(
        self,
        info: Info,
        institution_id: strawberry.ID,
        since: dt.datetime,
        child_id: strawberry.ID | None = None,
        person_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditTrailEntry] | None:
        actor = await info.context.require_actor()
        try:
            page = await reading.audit_trail(
                db=info.context.db,
                actor=actor,
                institution_id=decode(institution_id, "Institution", field="institutionId"),
                since=since,
                child_id=decode(child_id, "Child", field="childId") if child_id else None,
                person_id=plain_uuid(person_id, field="personId") if person_id else None,
                first=first,
                after=after,
            )
        except NotFound:
            return None
        # The before and after values are the child's data: the admin's read is logged.
        for kind, access in READ_AS.items():
            children = [row.child_id for row in page.items if row.kind == kind]
            if children:
                record_access(
                    info.context.db,
                    actor,
                    child_ids=children,
                    kind=access,
                    operation=operation_name(info),
                )
        return connection(page, AuditTrailEntry.of)
