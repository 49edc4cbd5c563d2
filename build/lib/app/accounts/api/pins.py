"""GraphQL of one's own personal PIN, for staff tablets and the kiosk."""

from __future__ import annotations

from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.accounts.service import devices
from app.api.errors import NotFoundError, ValidationError, errors_as_data
from app.api.permissions import IsAuthenticated


@strawberry.type
class PinSet:
    ok: bool = True


SetPinResult = Annotated[
    Union[PinSet, ValidationError, NotFoundError], strawberry.union("SetPinResult")
]


@strawberry.type
class PinMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Set your personal PIN (4-8 digits) for staff tablets and the kiosk.",
    )
    @errors_as_data
    async def set_personal_pin(self, info: Info, pin: str) -> SetPinResult:
        await devices.set_pin(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            pin=pin,
        )
        return PinSet()
