"""GraphQL operations of the group's contact list."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.api.errors import errors_as_data
from app.api.ids import decode
from app.api.permissions import IsAuthenticated
from app.institutions.contacts import service
from app.institutions.contacts.api.types import (
    ContactSharing,
    ContactSharingInput,
    ContactSharingResult,
    GroupContact,
)


@strawberry.type
class ContactListQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The group's contact list: for the guardians of its children and the "
        "institution's staff; empty for anyone else.",
    )
    async def group_contacts(self, info: Info, group_id: strawberry.ID) -> list[GroupContact]:
        rows = await service.group_contacts(
            db=info.context.db,
            actor=await info.context.require_actor(),
            group_id=decode(group_id, "Group", field="groupId"),
        )
        return [GroupContact.of(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="What the caller shows on the contact list of the child's group; null "
        "when the child is not theirs.",
    )
    async def contact_sharing(self, info: Info, child_id: strawberry.ID) -> ContactSharing | None:
        choice = await service.sharing_choice(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
        )
        return ContactSharing.of(choice) if choice is not None else None


@strawberry.type
class ContactListMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Choose what the other guardians of the child's group see of the caller "
        "(guardians of the child); all false withdraws.",
    )
    @errors_as_data
    async def set_contact_sharing(
        self, info: Info, child_id: strawberry.ID, input: ContactSharingInput
    ) -> ContactSharingResult:
        choice = await service.set_sharing(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            show_name=input.show_name,
            show_phone=input.show_phone,
            show_email=input.show_email,
        )
        return ContactSharing.of(choice)
