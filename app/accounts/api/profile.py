"""GraphQL of one's own profile: name, phone, language, and a confirmed change of e-mail."""

from __future__ import annotations

from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.accounts import models
from app.accounts.service import profile
from app.api.errors import (
    ConflictError,
    InvalidTokenError,
    NotFoundError,
    ValidationError,
    errors_as_data,
)
from app.api.permissions import IsAuthenticated


@strawberry.type(description="Your own profile, as you may change it.")
class MyProfile:
    id: strawberry.ID
    name: str
    email: str
    phone: str | None
    preferred_language: str

    @classmethod
    def of(cls, user: models.User) -> MyProfile:
        return cls(
            id=strawberry.ID(str(user.id)),
            name=user.name,
            email=user.email,
            phone=user.phone,
            preferred_language=user.preferred_language,
        )


@strawberry.input(description="What to change; a field left out stays as it is.")
class UpdateMyProfileInput:
    name: str | None = None
    phone: str | None = strawberry.field(default=None, description="Empty removes the number.")
    preferred_language: str | None = strawberry.field(default=None, description="da or en.")


UpdateMyProfileResult = Annotated[
    Union[MyProfile, ValidationError, NotFoundError], strawberry.union("UpdateMyProfileResult")
]


@strawberry.type(description="A confirmation link is on its way to the new address.")
class EmailChangeRequested:
    ok: bool = True


ChangeEmailResult = Annotated[
    Union[EmailChangeRequested, ValidationError, NotFoundError],
    strawberry.union("ChangeEmailResult"),
]

ConfirmEmailChangeResult = Annotated[
    Union[MyProfile, InvalidTokenError, ConflictError],
    strawberry.union("ConfirmEmailChangeResult"),
]


@strawberry.type
class ProfileMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Change your profile.")
    @errors_as_data
    async def update_my_profile(
        self, info: Info, input: UpdateMyProfileInput
    ) -> UpdateMyProfileResult:
        user = await profile.update_my_profile(
            db=info.context.db,
            actor=await info.context.require_actor(),
            name=input.name,
            phone=input.phone,
            preferred_language=input.preferred_language,
        )
        return MyProfile.of(user)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Move your account to a new e-mail address: a single-use link is mailed"
        " to it, and the address changes when it is opened (the old address is told).",
    )
    @errors_as_data
    async def change_email(
        self, info: Info, new_email: str, current_password: str
    ) -> ChangeEmailResult:
        await profile.change_email(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            new_email=new_email,
            current_password=current_password,
        )
        return EmailChangeRequested()

    @strawberry.mutation(
        description="Confirm a new e-mail address with the token of the link mailed to it."
    )
    @errors_as_data
    async def confirm_email_change(self, info: Info, token: str) -> ConfirmEmailChangeResult:
        user = await profile.confirm_email_change(db=info.context.db, token=token)
        return MyProfile.of(user)
