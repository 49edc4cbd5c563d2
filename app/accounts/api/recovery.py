"""GraphQL of a forgotten password: ask for a reset link, set a new password with it."""

from __future__ import annotations

from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.accounts.service import recovery
from app.api.errors import InvalidTokenError, TooManyAttemptsError, ValidationError, errors_as_data


@strawberry.type(
    description="Asked. If an account has the address, a link is on its way to it; the answer"
    " is the same either way."
)
class PasswordResetRequested:
    ok: bool = True


RequestPasswordResetResult = Annotated[
    Union[PasswordResetRequested, TooManyAttemptsError, ValidationError],
    strawberry.union("RequestPasswordResetResult"),
]


@strawberry.type(description="The password is set; every session of the account has ended.")
class PasswordReset:
    ok: bool = True


ResetPasswordResult = Annotated[
    Union[PasswordReset, InvalidTokenError, ValidationError],
    strawberry.union("ResetPasswordResult"),
]


@strawberry.type
class RecoveryMutations:
    @strawberry.mutation(
        description="Mail a single-use link (valid one hour) to set a new password. Answers"
        " the same whether or not an account has the address; throttled per address and"
        " per client."
    )
    @errors_as_data
    async def request_password_reset(self, info: Info, email: str) -> RequestPasswordResetResult:
        await recovery.request_password_reset(
            db=info.context.db,
            settings=info.context.settings,
            email=email,
            client_address=info.context.client_address,
        )
        return PasswordResetRequested()

    @strawberry.mutation(
        description="Set a new password with the token of a reset link. Signs the account out"
        " everywhere and tells its owner by e-mail. Then log in."
    )
    @errors_as_data
    async def reset_password(
        self, info: Info, token: str, new_password: str
    ) -> ResetPasswordResult:
        await recovery.reset_password(
            db=info.context.db,
            settings=info.context.settings,
            token=token,
            new_password=new_password,
        )
        return PasswordReset()
