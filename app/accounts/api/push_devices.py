"""GraphQL of one's push registrations: the apps register their APNs/FCM token or Web Push
subscription for the signed-in session, list and remove them."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.accounts import models
from app.accounts.service import push_devices
from app.api.errors import NotFoundError, ValidationError, errors_as_data
from app.api.ids import plain_uuid
from app.api.permissions import IsAuthenticated


@strawberry.enum
class PushPlatform(Enum):
    IOS = "ios"
    ANDROID = "android"
    WEB = "web"


@strawberry.type(name="PushDevice")
class PushDeviceType:
    id: strawberry.ID
    platform: PushPlatform
    app_version: str | None
    language: str
    session_id: strawberry.ID = strawberry.field(description="The session that registered it.")
    registered_at: dt.datetime

    @classmethod
    def of(cls, row: models.PushDevice) -> PushDeviceType:
        return cls(
            id=strawberry.ID(f"{row.id}"),
            platform=PushPlatform(row.platform),
            app_version=row.app_version,
            language=row.language,
            session_id=strawberry.ID(f"{row.session_id}"),
            registered_at=row.registered_at,
        )


@strawberry.input
class WebPushKeysInput:
    p256dh: str
    auth: str


@strawberry.input
class WebPushSubscriptionInput:
    """The browser's PushSubscription.toJSON(): its endpoint and keys."""

    endpoint: str
    keys: WebPushKeysInput


@strawberry.input
class RegisterPushDeviceInput:
    platform: PushPlatform
    token: str | None = strawberry.field(
        default=None, description="APNs device token (hex) or FCM registration token."
    )
    web_push: WebPushSubscriptionInput | None = strawberry.field(
        default=None, description="For WEB: the subscription (HTTPS, a public push service)."
    )
    app_version: str | None = None
    language: str = strawberry.field(default="da", description="da or en: what pushes speak.")


@strawberry.type
class PushDeviceRegistered:
    device: PushDeviceType


@strawberry.type
class PushDeviceUnregistered:
    device_id: strawberry.ID


RegisterPushDeviceResult = Annotated[
    Union[PushDeviceRegistered, ValidationError, NotFoundError],
    strawberry.union("RegisterPushDeviceResult"),
]
UnregisterPushDeviceResult = Annotated[
    Union[PushDeviceUnregistered, NotFoundError], strawberry.union("UnregisterPushDeviceResult")
]


@strawberry.type
class PushDeviceQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Your push registrations on your live sessions.",
    )
    async def my_push_devices(self, info: Info) -> list[PushDeviceType]:
        rows = await push_devices.my_push_devices(
            db=info.context.db, actor=await info.context.require_actor()
        )
        return [PushDeviceType.of(row) for row in rows]


@strawberry.type
class PushDeviceMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "Register this session's push token (again: it is refreshed). A token another user"
            " registered moves to you; revoking the session removes it."
        ),
    )
    @errors_as_data
    async def register_push_device(
        self, info: Info, input: RegisterPushDeviceInput
    ) -> RegisterPushDeviceResult:
        web = input.web_push
        device = await push_devices.register_push_device(
            db=info.context.db,
            actor=await info.context.require_actor(),
            platform=input.platform.value,
            token=input.token,
            web_push=push_devices.WebPushSubscription(
                endpoint=web.endpoint, p256dh=web.keys.p256dh, auth=web.keys.auth
            )
            if web is not None
            else None,
            app_version=input.app_version,
            language=input.language,
            allow_private_endpoints=info.context.settings.push_allow_private_endpoints,
        )
        return PushDeviceRegistered(device=PushDeviceType.of(device))

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def unregister_push_device(
        self, info: Info, device_id: strawberry.ID
    ) -> UnregisterPushDeviceResult:
        removed = await push_devices.unregister_push_device(
            db=info.context.db,
            actor=await info.context.require_actor(),
            device_id=plain_uuid(device_id, field="deviceId"),
        )
        return PushDeviceUnregistered(device_id=strawberry.ID(f"{removed}"))
