"""GraphQL types of the group's contact list."""

from __future__ import annotations

from typing import Annotated, Union

import strawberry

from app.api.errors import NotFoundError, ValidationError
from app.api.ids import encode
from app.institutions.contacts.service import GroupContact as GroupContactRow
from app.institutions.contacts.service import SharingChoice


@strawberry.type(
    description="A guardian on the group's contact list: only what they chose to show "
    "(null otherwise)."
)
class GroupContact:
    child_id: strawberry.ID
    child_name: str
    name: str | None
    relation: str | None
    phone: str | None
    email: str | None

    @classmethod
    def of(cls, row: GroupContactRow) -> GroupContact:
        return cls(
            child_id=strawberry.ID(encode("Child", row.child_id)),
            child_name=row.child_name,
            name=row.name,
            relation=row.relation,
            phone=row.phone,
            email=row.email,
        )


@strawberry.type(
    description="What the caller shows of themselves on the contact list of the child's "
    "group; all false until they choose (the default)."
)
class ContactSharing:
    child_id: strawberry.ID
    show_name: bool
    show_phone: bool
    show_email: bool

    @classmethod
    def of(cls, choice: SharingChoice) -> ContactSharing:
        return cls(
            child_id=strawberry.ID(encode("Child", choice.child_id)),
            show_name=choice.show_name,
            show_phone=choice.show_phone,
            show_email=choice.show_email,
        )


@strawberry.input(description="All false withdraws: nothing of the caller is shown.")
class ContactSharingInput:
    show_name: bool = False
    show_phone: bool = False
    show_email: bool = False


ContactSharingResult = Annotated[
    Union[ContactSharing, ValidationError, NotFoundError], strawberry.union("ContactSharingResult")
]
