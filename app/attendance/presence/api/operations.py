"""GraphQL surface of presence: check-in/out, undo, confirming estimated check-outs, the
kiosk. Devices and PINs are in app.attendance.device_api."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Union

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import (
    ConflictError,
    InvalidCredentialsError,
    NotFoundError,
    TooManyAttemptsError,
    ValidationError,
    errors_as_data,
)
from app.api.ids import decode, encode, plain_uuid
from app.api.loaders import later
from app.api.node import node_of
from app.api.permissions import IsAuthenticated
from app.attendance.presence import models
from app.attendance.presence.policies import visible_presences
from app.attendance.presence.reads.days import PresenceRow
from app.attendance.presence.service import checkin as presence_service
from app.attendance.presence.service import kiosk as kiosk_service
from app.attendance.presence.service import nightly as nightly_service
from app.institutions import loaders as institution_loaders
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access

if TYPE_CHECKING:
    from app.institutions.api.types import ChildNode


def _event_id(value: strawberry.ID) -> uuid.UUID:
    """Client-made event IDs are plain UUIDs (any version)."""
    return plain_uuid(value, field="eventId")


@strawberry.enum
class PickupKind(Enum):
    GUARDIAN = "guardian"
    PICKUP_PERSON = "pickup_person"
    OTHER = "other"


@strawberry.type
class PickedUpBy:
    kind: PickupKind
    name: str


@strawberry.type(name="Presence", description="One stay of a child: checked in, then out.")
class PresenceNode(relay.Node):
    id: relay.NodeID[str]
    checked_in_at: dt.datetime
    checked_out_at: dt.datetime | None
    checkout_estimated: bool = strawberry.field(
        description="Closed by the nightly job: staff should confirm or correct the time."
    )
    row: strawberry.Private[models.Presence | PresenceRow]

    @classmethod
    def of(cls, row: models.Presence | PresenceRow) -> PresenceNode:
        return cls(
            id=str(row.id),
            checked_in_at=row.checked_in_at,
            checked_out_at=row.checked_out_at,
            checkout_estimated=row.checkout_estimated,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PresenceNode | None]:
        actor = await info.context.require_actor()
        ids = []
        for raw in node_ids:
            try:
                ids.append(uuid.UUID(raw))
            except ValueError:
                ids.append(uuid.UUID(int=0))
        rows = await info.context.db.scalars(
            select(models.Presence).where(models.Presence.id.in_(ids), visible_presences(actor))
        )
        found = {row.id: row for row in rows.all()}
        nodes = [cls.of(found[i]) if i in found else None for i in ids]
        record_access(
            info.context.db,
            actor,
            child_ids=[n.row.child_id for n in nodes if n is not None],
            kind=AccessKind.PRESENCE,
            operation=operation_name(info),
        )
        return nodes

    @strawberry.field
    async def child(
        self, info: Info
    ) -> Annotated[ChildNode, strawberry.lazy("app.institutions.api.types")] | None:
        row = await info.context.loaders.get(institution_loaders.child_by_id).load(
            self.row.child_id
        )
        return node_of(info, "Child", row) if row else None

    @strawberry.field(description="The staff member (or guardian, at the kiosk) who checked in.")
    def checked_in_by(self, info: Info) -> str:
        if isinstance(self.row, PresenceRow):
            return self.row.checked_in_by_name
        return later(_user_name(info, self.row.checked_in_by))

    @strawberry.field
    def checked_out_by(self, info: Info) -> str | None:
        if self.row.checked_out_by is None:
            return None
        if isinstance(self.row, PresenceRow):
            return self.row.checked_out_by_name
        return later(_user_name(info, self.row.checked_out_by))

    @strawberry.field
    def picked_up_by(self) -> PickedUpBy | None:
        if self.row.picked_up_by_kind is None:
            return None
        return PickedUpBy(
            kind=PickupKind(self.row.picked_up_by_kind), name=self.row.picked_up_by_name or ""
        )

    @strawberry.field(description="Why staff let someone without authorisation pick up (staff).")
    async def override_reason(self, info: Info) -> str | None:
        actor = await info.context.require_actor()
        return self.row.override_reason if actor.works_in(self.row.institution_id) else None


async def _user_name(info: Info, user_id: uuid.UUID) -> str:
    user = await info.context.loaders.get(institution_loaders.user_by_id).load(user_id)
    return user.name if user else ""


@strawberry.enum
class PresenceEventKind(Enum):
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"
    UNDO = "undo"
    CONFIRM = "confirm"
    AUTO_CLOSE = "auto_close"


@strawberry.type
class PresenceEvent:
    id: strawberry.ID = strawberry.field(description="The client-made ID.")
    kind: PresenceEventKind
    occurred_at: dt.datetime
    recorded_at: dt.datetime

    @classmethod
    def of(cls, row: models.PresenceEvent) -> PresenceEvent:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=PresenceEventKind(row.kind),
            occurred_at=row.occurred_at,
            recorded_at=row.recorded_at,
        )


@strawberry.type
class PresenceChanged:
    event: PresenceEvent
    presence: PresenceNode | None = strawberry.field(description="Null after undoing a check-in.")
    replayed: bool = strawberry.field(
        description="True when this event ID was applied before: the original result."
    )

    @classmethod
    def of(cls, change: presence_service.PresenceChange) -> PresenceChanged:
        return cls(
            event=PresenceEvent.of(change.event),
            presence=PresenceNode.of(change.presence) if change.presence else None,
            replayed=change.replayed,
        )


PresenceChangeResult = Annotated[
    Union[PresenceChanged, ValidationError, NotFoundError, ConflictError],
    strawberry.union("PresenceChangeResult"),
]
KioskResult = Annotated[
    Union[
        PresenceChanged,
        ValidationError,
        NotFoundError,
        ConflictError,
        InvalidCredentialsError,
        TooManyAttemptsError,
    ],
    strawberry.union("KioskResult"),
]
PresenceResult = Annotated[
    Union[PresenceNode, ValidationError, NotFoundError, ConflictError],
    strawberry.union("PresenceResult"),
]


@strawberry.input
class CheckInInput:
    event_id: strawberry.ID = strawberry.field(description="A UUID made by the client.")
    child_id: strawberry.ID
    at: dt.datetime = strawberry.field(description="When it happened, by the tablet's clock.")


@strawberry.input(description="Exactly one of the three.")
class PickedUpByInput:
    guardian_link_id: strawberry.ID | None = None
    pickup_person_id: strawberry.ID | None = None
    other_name: str | None = None


@strawberry.input
class CheckOutInput:
    event_id: strawberry.ID
    child_id: strawberry.ID
    at: dt.datetime
    picked_up_by: PickedUpByInput
    override_reason: str | None = strawberry.field(
        default=None, description="Needed (and logged) when the person is not authorised."
    )


@strawberry.enum
class KioskAction(Enum):
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"


@strawberry.input(description="A guardian at the kiosk: their PIN or their app's QR code.")
class KioskInput:
    event_id: strawberry.ID
    child_id: strawberry.ID
    at: dt.datetime
    action: KioskAction
    pin: str | None = None
    qr_token: str | None = None


@strawberry.type
class KioskCode:
    token: str = strawberry.field(description="Show as a QR code; single-use.")
    expires_in_seconds: int


@strawberry.type(description="A child on the kiosk's \"choose your child\" screen.")
class KioskChild:
    id: strawberry.ID = strawberry.field(description="The child's ID, for `kioskCheck`.")
    first_name: str
    group_name: str | None


@strawberry.type(description="The children the guardian who signed in may check in or out here.")
class KioskChildren:
    children: list[KioskChild]


KioskChildrenResult = Annotated[
    Union[KioskChildren, NotFoundError, InvalidCredentialsError, TooManyAttemptsError],
    strawberry.union("KioskChildrenResult"),
]
KioskCodeResult = Annotated[Union[KioskCode, NotFoundError], strawberry.union("KioskCodeResult")]


@strawberry.type
class PresenceQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Stays the nightly job closed with an estimated time, for staff to confirm.",
    )
    async def unconfirmed_checkouts(
        self, info: Info, institution_id: strawberry.ID
    ) -> list[PresenceNode]:
        actor = await info.context.require_actor()
        rows = await nightly_service.unconfirmed_checkouts(
            db=info.context.db,
            actor=actor,
            institution_id=decode(institution_id, "Institution", field="institutionId"),
        )
        record_access(
            info.context.db,
            actor,
            child_ids=[row.child_id for row in rows],
            kind=AccessKind.PRESENCE,
            operation=operation_name(info),
        )
        return [PresenceNode.of(row) for row in rows]


@strawberry.type
class PresenceMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def check_in(self, info: Info, input: CheckInInput) -> PresenceChangeResult:
        change = await presence_service.check_in(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(input.child_id, "Child", field="childId"),
            event_id=_event_id(input.event_id),
            at=input.at,
        )
        return PresenceChanged.of(change)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def check_out(self, info: Info, input: CheckOutInput) -> PresenceChangeResult:
        by = input.picked_up_by
        change = await presence_service.check_out(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(input.child_id, "Child", field="childId"),
            event_id=_event_id(input.event_id),
            at=input.at,
            picked_up_by=presence_service.PickedUpBy(
                guardian_link_id=decode(by.guardian_link_id, "GuardianLink", field="pickedUpBy")
                if by.guardian_link_id
                else None,
                pickup_person_id=decode(by.pickup_person_id, "PickupPerson", field="pickedUpBy")
                if by.pickup_person_id
                else None,
                other_name=by.other_name,
            ),
            override_reason=input.override_reason,
        )
        return PresenceChanged.of(change)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Take back a check-in or check-out within two minutes.",
    )
    @errors_as_data
    async def undo_presence_event(
        self, info: Info, event_id: strawberry.ID, target_event_id: strawberry.ID
    ) -> PresenceChangeResult:
        change = await presence_service.undo(
            db=info.context.db,
            actor=await info.context.require_actor(),
            event_id=_event_id(event_id),
            target_event_id=plain_uuid(target_event_id, field="targetEventId"),
        )
        return PresenceChanged.of(change)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def confirm_checkout(
        self, info: Info, presence_id: strawberry.ID, at: dt.datetime | None = None
    ) -> PresenceResult:
        row = await nightly_service.confirm_checkout(
            db=info.context.db,
            actor=await info.context.require_actor(),
            presence_id=decode(presence_id, "Presence", field="presenceId"),
            at=at,
        )
        return PresenceNode.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="On the kiosk: a guardian checks their child in or out (PIN or QR code).",
    )
    @errors_as_data
    async def kiosk_check(self, info: Info, input: KioskInput) -> KioskResult:
        change = await kiosk_service.kiosk_record(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            kind=input.action.value,
            child_id=decode(input.child_id, "Child", field="childId"),
            event_id=_event_id(input.event_id),
            at=input.at,
            pin=input.pin,
            qr_token=input.qr_token,
        )
        return PresenceChanged.of(change)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="On the kiosk: a guardian signs in with their phone number and personal PIN "
        "and gets the children of this institution they may check in or out here (first name "
        "and group only; their own children, so a protected child only to its own guardians). "
        "The kiosk then sends `kioskCheck` with the chosen child and the same PIN. Throttled "
        "per kiosk and number; an unknown number is refused as a wrong PIN.",
    )
    @errors_as_data
    async def kiosk_sign_in(self, info: Info, phone: str, pin: str) -> KioskChildrenResult:
        rows = await kiosk_service.kiosk_children(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            phone=phone,
            pin=pin,
        )
        return KioskChildren(
            children=[
                KioskChild(
                    id=strawberry.ID(encode("Child", row.child_id)),
                    first_name=row.first_name,
                    group_name=row.group_name,
                )
                for row in rows
            ]
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A guardian's app: a single-use code to show at the institution's kiosk.",
    )
    @errors_as_data
    async def kiosk_code(self, info: Info, institution_id: strawberry.ID) -> KioskCodeResult:
        code = kiosk_service.issue_qr(
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
        )
        return KioskCode(token=code.token, expires_in_seconds=code.expires_in_seconds)
