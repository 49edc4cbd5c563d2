"""GraphQL of invitations: accepting one (anonymous: the token is the credential), and what an
institution's admins see and do with theirs."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.accounts.api.sessions import (
    LoginSuccess,
    SecondFactorEnrolmentRequired,
    SecondFactorRequired,
    session_started,
)
from app.accounts.service import invitations
from app.api.errors import (
    ConflictError,
    InvalidCredentialsError,
    NotFoundError,
    TooManyAttemptsError,
    ValidationError,
    errors_as_data,
)
from app.api.ids import decode, plain_uuid
from app.api.permissions import IsAuthenticated


@strawberry.enum(description="Where an invitation stands.")
class InvitationStatus(Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    REVOKED = "revoked"


@strawberry.enum(description="What the person was invited as.")
class InvitationRole(Enum):
    ADMIN = "admin"
    STAFF = "staff"
    GUARDIAN = "guardian"


@strawberry.type(name="Invitation", description="An invitation of one person, as admins see it.")
class InvitationType:
    id: strawberry.ID
    name: str
    email: str
    role: InvitationRole
    status: InvitationStatus
    created_at: dt.datetime
    expires_at: dt.datetime
    last_sent_at: dt.datetime | None
    accepted_at: dt.datetime | None

    @classmethod
    def of(cls, view: invitations.InvitationView) -> InvitationType:
        row = view.invitation
        return cls(
            id=strawberry.ID(str(row.id)),
            name=view.name,
            email=view.email,
            role=InvitationRole(row.role),
            status=InvitationStatus(view.status),
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_sent_at=row.last_sent_at,
            accepted_at=row.accepted_at,
        )


AcceptInvitationResult = Annotated[
    Union[
        LoginSuccess,
        SecondFactorRequired,
        SecondFactorEnrolmentRequired,
        InvalidCredentialsError,
        TooManyAttemptsError,
        ValidationError,
    ],
    strawberry.union("AcceptInvitationResult"),
]
InvitationResult = Annotated[
    Union[InvitationType, NotFoundError, ConflictError], strawberry.union("InvitationResult")
]


@strawberry.type
class InvitationQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The institution's invitations, newest first (its admins'; empty for others).",
    )
    async def invitations(self, info: Info, institution_id: strawberry.ID) -> list[InvitationType]:
        rows = await invitations.invitations_of(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
        )
        return [InvitationType.of(row) for row in rows]


@strawberry.type
class InvitationMutations:
    @strawberry.mutation(
        description="Spend an invitation's token: set your password (and name) and sign in, "
        "as `login` does (a person who already has an authenticator, from a federated login, "
        "gets SecondFactorRequired). An expired, used or withdrawn token gets the same "
        "INVITATION_INVALID."
    )
    @errors_as_data
    async def accept_invitation(
        self,
        info: Info,
        token: str,
        password: str,
        name: str | None = None,
        device_label: str | None = None,
    ) -> AcceptInvitationResult:
        result = await invitations.accept(
            db=info.context.db,
            settings=info.context.settings,
            token=token,
            password=password,
            name=name,
            client_address=info.context.client_address,
            device_label=device_label,
            user_agent=info.context.user_agent,
        )
        return session_started(result)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Send an invitation again with a new link and validity; the old link dies.",
    )
    @errors_as_data
    async def resend_invitation(self, info: Info, invitation_id: strawberry.ID) -> InvitationResult:
        view = await invitations.resend(
            db=info.context.db,
            settings=info.context.settings,
            actor=await info.context.require_actor(),
            invitation_id=plain_uuid(invitation_id, field="invitationId"),
        )
        return InvitationType.of(view)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Withdraw an invitation: its link stops working at once.",
    )
    @errors_as_data
    async def revoke_invitation(self, info: Info, invitation_id: strawberry.ID) -> InvitationResult:
        view = await invitations.revoke(
            db=info.context.db,
            actor=await info.context.require_actor(),
            invitation_id=plain_uuid(invitation_id, field="invitationId"),
        )
        return InvitationType.of(view)
