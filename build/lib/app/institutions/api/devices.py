"""GraphQL surface of the institution's devices: pairing staff tablets and kiosks, and a staff
member switching in on a paired tablet (one's personal PIN: app.accounts.api.pins)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Union

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.accounts import models as account_models
from app.accounts.service import devices as device_service
from app.api.errors import (
    InvalidCredentialsError,
    NotFoundError,
    TooManyAttemptsError,
    ValidationError,
    errors_as_data,
)
from app.api.ids import decode, plain_uuid
from app.api.permissions import IsAuthenticated
from app.institutions.service import devices as institution_devices


@strawberry.enum
class DeviceRole(Enum):
    STAFF_TABLET = "staff_tablet"
    KIOSK = "kiosk"


@strawberry.type
class Device:
    id: strawberry.ID
    label: str
    role: DeviceRole
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, row: account_models.Device) -> Device:
        return cls(
            id=strawberry.ID(str(row.id)),
            label=row.label,
            role=DeviceRole(row.role),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type
class DevicePaired:
    token: str = strawberry.field(description="The device's bearer token; shown once.")
    device: Device


@strawberry.type
class TabletUserSwitched:
    token: str = strawberry.field(description="The staff member's token on this tablet.")
    name: str
    expires_at: dt.datetime


@strawberry.type
class TabletStaffMember:
    staff_id: strawberry.ID
    name: str


PairDeviceResult = Annotated[
    Union[DevicePaired, ValidationError, NotFoundError], strawberry.union("PairDeviceResult")
]
DeviceResult = Annotated[Union[Device, NotFoundError], strawberry.union("DeviceResult")]
SwitchTabletUserResult = Annotated[
    Union[TabletUserSwitched, InvalidCredentialsError, TooManyAttemptsError, NotFoundError],
    strawberry.union("SwitchTabletUserResult"),
]


@strawberry.type
class DeviceQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Paired devices (admins).")
    async def devices(self, info: Info, institution_id: strawberry.ID) -> list[Device]:
        rows = await device_service.devices(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
        )
        return [Device.of(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="On a paired staff tablet: who can switch in (the institution's staff).",
    )
    async def tablet_staff(self, info: Info) -> list[TabletStaffMember]:
        rows = await institution_devices.tablet_staff(
            db=info.context.db, actor=await info.context.require_actor()
        )
        return [
            TabletStaffMember(
                staff_id=strawberry.ID(relay.to_base64("StaffMember", row.id)), name=row.name
            )
            for row in rows
        ]


@strawberry.type
class DeviceMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Admins pair a tablet (staff tablet or kiosk) with the institution.",
    )
    @errors_as_data
    async def pair_device(
        self, info: Info, institution_id: strawberry.ID, role: DeviceRole, label: str
    ) -> PairDeviceResult:
        token, row = await device_service.pair_device(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            role=role.value,
            label=label,
        )
        return DevicePaired(token=token, device=Device.of(row))

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def revoke_device(self, info: Info, device_id: strawberry.ID) -> DeviceResult:
        row = await device_service.revoke_device(
            db=info.context.db,
            actor=await info.context.require_actor(),
            device_id=plain_uuid(device_id, field="deviceId"),
        )
        return Device.of(row)


@strawberry.type
class TabletMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="On a paired staff tablet: a staff member switches in with their PIN.",
    )
    @errors_as_data
    async def switch_tablet_user(
        self, info: Info, staff_id: strawberry.ID, pin: str
    ) -> SwitchTabletUserResult:
        token, session, user = await institution_devices.switch_tablet_user(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            staff_id=decode(staff_id, "StaffMember", field="staffId"),
            pin=pin,
        )
        return TabletUserSwitched(token=token, name=user.name, expires_at=session.expires_at)
