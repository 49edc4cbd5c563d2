"""GraphQL of the second factor: enrol an authenticator, confirm it, complete a login with
it, new recovery codes, turn it off, and one's own status (never the secret)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.accounts.api.sessions import LoginSuccess, SessionType
from app.accounts.service import second_factor
from app.api.errors import (
    ConflictError,
    InvalidCredentialsError,
    NotFoundError,
    TooManyAttemptsError,
    ValidationError,
    errors_as_data,
)
from app.api.permissions import IsAuthenticated, IsSignedIn


@strawberry.type(
    description="A new authenticator secret, shown this once: show `provisioningUri` as a QR"
    " code (or `secret` to type in), then confirm with the first code the app shows."
)
class SecondFactorEnrolment:
    provisioning_uri: str = strawberry.field(description="An otpauth:// URI (RFC 6238, SHA-1).")
    secret: str = strawberry.field(description="The same secret in base32, to type in.")


@strawberry.type(
    description="Two-step verification is on. Keep the recovery codes somewhere safe: each"
    " works once instead of a code, and they are never shown again."
)
class SecondFactorConfirmed:
    recovery_codes: list[str]


@strawberry.type(description="New recovery codes, shown once; the old ones stopped working.")
class RecoveryCodesRegenerated:
    recovery_codes: list[str]


@strawberry.type
class SecondFactorDisabled:
    ok: bool = True


@strawberry.type(description="Your second factor, as far as you may see it (never the secret).")
class SecondFactorStatus:
    enrolled: bool
    confirmed_at: dt.datetime | None
    recovery_codes_left: int
    required: bool = strawberry.field(
        description="An institution of yours requires it: it cannot be turned off."
    )


EnrolSecondFactorResult = Annotated[
    Union[SecondFactorEnrolment, ConflictError, NotFoundError],
    strawberry.union("EnrolSecondFactorResult"),
]
CodeErrors = Union[
    InvalidCredentialsError, TooManyAttemptsError, ValidationError, ConflictError, NotFoundError
]
ConfirmSecondFactorResult = Annotated[
    Union[SecondFactorConfirmed, CodeErrors], strawberry.union("ConfirmSecondFactorResult")
]
VerifySecondFactorResult = Annotated[
    Union[LoginSuccess, InvalidCredentialsError, TooManyAttemptsError, ValidationError],
    strawberry.union("VerifySecondFactorResult"),
]
RegenerateRecoveryCodesResult = Annotated[
    Union[RecoveryCodesRegenerated, CodeErrors],
    strawberry.union("RegenerateRecoveryCodesResult"),
]
DisableSecondFactorResult = Annotated[
    Union[SecondFactorDisabled, CodeErrors], strawberry.union("DisableSecondFactorResult")
]


@strawberry.type
class SecondFactorQueries:
    @strawberry.field(permission_classes=[IsSignedIn], description="Your second factor.")
    async def my_second_factor(self, info: Info) -> SecondFactorStatus:
        status = await second_factor.status(
            db=info.context.db, actor=await info.context.require_actor()
        )
        return SecondFactorStatus(
            enrolled=status.enrolled,
            confirmed_at=status.confirmed_at,
            recovery_codes_left=status.recovery_codes_left,
            required=status.required,
        )


@strawberry.type
class SecondFactorMutations:
    @strawberry.mutation(
        description="Complete a login that answered SecondFactorRequired: its challenge and a"
        " code of your authenticator app, or one of your recovery codes."
    )
    @errors_as_data
    async def verify_second_factor(
        self, info: Info, challenge: str, code: str
    ) -> VerifySecondFactorResult:
        result = await second_factor.verify_challenge(
            db=info.context.db,
            settings=info.context.settings,
            challenge=challenge,
            code=code,
            client_address=info.context.client_address,
        )
        return LoginSuccess(
            token=result.token, session=SessionType.of(result.session, result.session.id)
        )

    @strawberry.mutation(
        permission_classes=[IsSignedIn],
        description="Start setting up two-step verification with an authenticator app.",
    )
    @errors_as_data
    async def enrol_second_factor(self, info: Info) -> EnrolSecondFactorResult:
        enrolment = await second_factor.enrol(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
        )
        return SecondFactorEnrolment(
            provisioning_uri=enrolment.provisioning_uri, secret=enrolment.secret
        )

    @strawberry.mutation(
        permission_classes=[IsSignedIn],
        description="Turn two-step verification on with the first code from the app.",
    )
    @errors_as_data
    async def confirm_second_factor(self, info: Info, code: str) -> ConfirmSecondFactorResult:
        codes = await second_factor.confirm(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            code=code,
            address=info.context.client_address,
        )
        return SecondFactorConfirmed(recovery_codes=codes)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="New recovery codes for a code of your authenticator app.",
    )
    @errors_as_data
    async def regenerate_recovery_codes(
        self, info: Info, code: str
    ) -> RegenerateRecoveryCodesResult:
        codes = await second_factor.regenerate_recovery_codes(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            code=code,
            address=info.context.client_address,
        )
        return RecoveryCodesRegenerated(recovery_codes=codes)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Turn two-step verification off, with a code of it or a recovery code.",
    )
    @errors_as_data
    async def disable_second_factor(self, info: Info, code: str) -> DisableSecondFactorResult:
        await second_factor.disable(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            code=code,
            address=info.context.client_address,
        )
        return SecondFactorDisabled()
