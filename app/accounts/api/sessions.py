"""GraphQL of logins and sessions: log in and out, one's sessions, changing one's password."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.accounts import models
from app.accounts.api.push_devices import PushDeviceType
from app.accounts.service import auth as accounts
from app.accounts.service import push_devices, step_up
from app.api.errors import (
    InvalidCredentialsError,
    NotFoundError,
    TooManyAttemptsError,
    ValidationError,
    errors_as_data,
)
from app.api.ids import plain_uuid
from app.api.permissions import IsAuthenticated, IsSignedIn
from app.core.actor import ENROLMENT_SESSION


@strawberry.type(name="Session")
class SessionType:
    id: strawberry.ID
    kind: str
    device_label: str | None
    client_address: str | None
    user_agent: str | None
    created_at: dt.datetime
    last_used_at: dt.datetime
    expires_at: dt.datetime
    is_current: bool
    push_devices: list[PushDeviceType] = strawberry.field(
        default_factory=list, description="Push registrations of this session (mySessions)."
    )

    @classmethod
    def of(cls, row: models.AuthSession, current: object) -> SessionType:
        return cls(
            id=strawberry.ID(f"{row.id}"),
            kind=row.kind,
            device_label=row.device_label,
            client_address=row.client_address,
            user_agent=row.user_agent,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            is_current=row.id == current,
        )


@strawberry.type
class LoginSuccess:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    session: SessionType


@strawberry.type(
    description="The password (or the identity provider's login) was right; the person has an"
    " authenticator. Send a code of it (or a recovery code) with `challenge` to"
    " `verifySecondFactor` before `expiresAt`."
)
class SecondFactorRequired:
    challenge: str = strawberry.field(description="Single-use; only for verifySecondFactor.")
    expires_at: dt.datetime


@strawberry.type(
    description="The password (or the identity provider's login) was right, but the person"
    " must set up a second factor first:"
    " the session only admits `enrolSecondFactor`, `confirmSecondFactor`, `mySecondFactor`"
    " and `logout`, for a short while; confirming makes it an ordinary session."
)
class SecondFactorEnrolmentRequired:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    session: SessionType


LoginResult = Annotated[
    Union[
        LoginSuccess,
        SecondFactorRequired,
        SecondFactorEnrolmentRequired,
        InvalidCredentialsError,
        TooManyAttemptsError,
        ValidationError,
    ],
    strawberry.union("LoginResult"),
]


@strawberry.type
class SessionRevoked:
    session: SessionType


RevokeSessionResult = Annotated[
    Union[SessionRevoked, NotFoundError], strawberry.union("RevokeSessionResult")
]


@strawberry.type
class PasswordChanged:
    ok: bool = True


ChangePasswordResult = Annotated[
    Union[PasswordChanged, ValidationError], strawberry.union("ChangePasswordResult")
]


@strawberry.type
class LoggedOut:
    ok: bool = True


@strawberry.type
class AccountQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Your live sessions.")
    async def my_sessions(self, info: Info) -> list[SessionType]:
        actor = await info.context.require_actor()
        rows = await accounts.my_sessions(db=info.context.db, actor=actor)
        sessions = [SessionType.of(row, actor.session_id) for row in rows]
        by_session = {session.id: session for session in sessions}
        for device in await push_devices.my_push_devices(db=info.context.db, actor=actor):
            session = by_session.get(strawberry.ID(f"{device.session_id}"))
            if session is not None:
                session.push_devices.append(PushDeviceType.of(device))
        return sessions


def session_started(
    result: accounts.LoginResult | step_up.Challenge,
) -> LoginSuccess | SecondFactorRequired | SecondFactorEnrolmentRequired:
    """The answer to a sign-in that passed its first factor (`start_session`'s result)."""
    if isinstance(result, step_up.Challenge):
        return SecondFactorRequired(challenge=result.token, expires_at=result.expires_at)
    session = SessionType.of(result.session, result.session.id)
    if result.session.kind == ENROLMENT_SESSION:
        return SecondFactorEnrolmentRequired(token=result.token, session=session)
    return LoginSuccess(token=result.token, session=session)


@strawberry.type
class AccountMutations:
    @strawberry.mutation
    @errors_as_data
    async def login(
        self, info: Info, email: str, password: str, device_label: str | None = None
    ) -> LoginResult:
        result = await accounts.login(
            db=info.context.db,
            settings=info.context.settings,
            email=email,
            password=password,
            client_address=info.context.client_address,
            device_label=device_label,
            user_agent=info.context.user_agent,
        )
        return session_started(result)

    @strawberry.mutation(permission_classes=[IsSignedIn])
    async def logout(self, info: Info) -> LoggedOut:
        await accounts.logout(db=info.context.db, actor=await info.context.require_actor())
        return LoggedOut()

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def revoke_session(self, info: Info, session_id: strawberry.ID) -> RevokeSessionResult:
        actor = await info.context.require_actor()
        row = await accounts.revoke_session(
            db=info.context.db, actor=actor, session_id=plain_uuid(session_id, field="sessionId")
        )
        return SessionRevoked(session=SessionType.of(row, actor.session_id))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Set a new password (you are told by e-mail). Your other sessions end"
        " unless `revokeOtherSessions` is false.",
    )
    @errors_as_data
    async def change_password(
        self,
        info: Info,
        current_password: str,
        new_password: str,
        revoke_other_sessions: bool = True,
    ) -> ChangePasswordResult:
        await accounts.change_password(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            current_password=current_password,
            new_password=new_password,
            revoke_other_sessions=revoke_other_sessions,
        )
        return PasswordChanged()
