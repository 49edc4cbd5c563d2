"""GraphQL of institutions from nothing: municipality admins open and close their
municipality's institutions; admins (an institution's or its municipality's) invite admins."""

from __future__ import annotations

from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.api.errors import ConflictError, NotFoundError, ValidationError, errors_as_data
from app.api.ids import decode, plain_uuid
from app.api.permissions import IsAuthenticated
from app.institutions.api.mutations import InstitutionResult
from app.institutions.api.types import InstitutionNode
from app.institutions.service import setup


@strawberry.type(description="A person made an admin: invited, or told when they have a login.")
class AdminInvited:
    institution: InstitutionNode
    email: str


AdminInvitedResult = Annotated[
    Union[AdminInvited, ValidationError, NotFoundError, ConflictError],
    strawberry.union("InviteAdminResult"),
]


@strawberry.type
class SetupMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Open an institution of your municipality (municipality admins).",
    )
    @errors_as_data
    async def create_institution(
        self, info: Info, municipality_id: strawberry.ID, name: str, kind: str = ""
    ) -> InstitutionResult:
        row = await setup.open_institution(
            db=info.context.db,
            actor=await info.context.require_actor(),
            municipality_id=plain_uuid(municipality_id, field="municipalityId"),
            name=name,
            kind=kind,
        )
        return InstitutionNode.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Close an institution of your municipality (municipality admins): its "
        "records stay, its open invitations are withdrawn.",
    )
    @errors_as_data
    async def close_institution(
        self, info: Info, institution_id: strawberry.ID
    ) -> InstitutionResult:
        row = await setup.close_institution(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
        )
        return InstitutionNode.of(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Make a person an admin of the institution (its admins, its municipality's "
        "admins). Without a password they get an invitation by e-mail; with one, a note.",
    )
    @errors_as_data
    async def invite_admin(
        self,
        info: Info,
        institution_id: strawberry.ID,
        email: str,
        name: str,
        preferred_language: str = "da",
    ) -> AdminInvitedResult:
        actor = await info.context.require_actor()
        row = await setup.invite_admin(
            db=info.context.db,
            settings=info.context.settings,
            actor=actor,
            institution_id=decode(institution_id, "Institution", field="institutionId"),
            email=email,
            name=name,
            language=preferred_language,
        )
        institution = await setup.institution_of(db=info.context.db, membership=row)
        return AdminInvited(institution=InstitutionNode.of(institution), email=email.strip())
