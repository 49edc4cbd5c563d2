"""GraphQL types and operations of photo consent."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Union

import strawberry
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import NotFoundError, ValidationError, errors_as_data
from app.api.ids import decode
from app.api.node import node_of
from app.api.permissions import IsAuthenticated
from app.gallery import loaders as gallery_loaders
from app.gallery.policies import can_answer_consent, can_see_consent
from app.gallery.service import consent as consent_service
from app.institutions import loaders as institution_loaders
from app.institutions.models import Child
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access

if TYPE_CHECKING:
    from app.institutions.api.types import ChildNode

ChildRef = Annotated["ChildNode", strawberry.lazy("app.institutions.api.types")]


@strawberry.enum(description="Who may see photos of a child.")
class PhotoConsentLevel(Enum):
    NONE = "none"
    OWN_GUARDIANS = "own_guardians"
    GROUP = "group"


@strawberry.type(description="A custody guardian's current answer.")
class PhotoConsentAnswer:
    guardian_name: str
    level: PhotoConsentLevel | None = strawberry.field(
        description="Null: not answered; the institution's default applies."
    )
    answered_at: dt.datetime | None


@strawberry.type(description="One change of a guardian's answer: who, what and when.")
class PhotoConsentChange:
    guardian_name: str
    level: PhotoConsentLevel
    changed_at: dt.datetime


@strawberry.type(description="A child's photo consent: the effective one and its answers.")
class PhotoConsent:
    row: strawberry.Private[Child]

    @strawberry.field
    def child(self, info: Info) -> ChildRef:
        return node_of(info, "Child", self.row)

    @strawberry.field(
        description=(
            "The most restrictive answer of the custody guardians (no answer: the "
            "institution's default). NONE: the child may not be tagged on photos."
        )
    )
    async def effective(self, info: Info) -> PhotoConsentLevel:
        level = await info.context.loaders.get(gallery_loaders.effective_consent_by_child).load(
            self.row.id
        )
        return PhotoConsentLevel(level or "none")

    @strawberry.field(description="Navne- og adressebeskyttelse: never shown to other families.")
    def is_protected(self) -> bool:
        return self.row.is_protected

    @strawberry.field(description="Whether you (a guardian with custody) may answer.")
    async def can_answer(self, info: Info) -> bool:
        return can_answer_consent(await info.context.require_actor(), self.row.id)

    @strawberry.field(description="Your own answer, if you are a guardian with custody.")
    async def my_answer(self, info: Info) -> PhotoConsentLevel | None:
        actor = await info.context.require_actor()
        answers = await info.context.loaders.get(gallery_loaders.consent_answers_by_child).load(
            self.row.id
        )
        mine = next((a.level for a in answers if a.user_id == actor.user_id), None)
        return PhotoConsentLevel(mine) if mine else None

    @strawberry.field(
        description="Every custody guardian's answer for staff; your own for a guardian."
    )
    async def answers(self, info: Info) -> list[PhotoConsentAnswer]:
        rows = await info.context.loaders.get(gallery_loaders.consent_answers_by_child).load(
            self.row.id
        )
        return [
            PhotoConsentAnswer(
                guardian_name=a.guardian_name,
                level=PhotoConsentLevel(a.level) if a.level else None,
                answered_at=a.answered_at,
            )
            for a in rows
        ]

    @strawberry.field(description="Every change, newest first: all for staff, yours for you.")
    async def history(self, info: Info) -> list[PhotoConsentChange]:
        rows = await info.context.loaders.get(gallery_loaders.consent_changes_by_child).load(
            self.row.id
        )
        return [
            PhotoConsentChange(
                guardian_name=c.guardian_name,
                level=PhotoConsentLevel(c.level),
                changed_at=c.changed_at,
            )
            for c in rows
        ]


PhotoConsentResult = Annotated[
    Union[PhotoConsent, ValidationError, NotFoundError], strawberry.union("PhotoConsentResult")
]


@strawberry.type
class ConsentQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="A child's photo consent: for its guardians and the institution's staff.",
    )
    async def photo_consent(self, info: Info, child_id: strawberry.ID) -> PhotoConsent | None:
        actor = await info.context.require_actor()
        child = await info.context.loaders.get(institution_loaders.child_by_id).load(
            decode(child_id, "Child", field="childId")
        )
        if child is None or not can_see_consent(actor, child):
            return None
        record_access(
            info.context.db,
            actor,
            child_ids=[child.id],
            kind=AccessKind.CONSENT,
            operation=operation_name(info),
        )
        return PhotoConsent(row=child)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Photo consent of every child of a group, for the staff who take photos.",
    )
    async def group_photo_consents(self, info: Info, group_id: strawberry.ID) -> list[PhotoConsent]:
        actor = await info.context.require_actor()
        rows = await consent_service.group_children(
            db=info.context.db, actor=actor, group_id=decode(group_id, "Group", field="groupId")
        )
        record_access(
            info.context.db,
            actor,
            child_ids=[row.id for row in rows],
            kind=AccessKind.CONSENT,
            operation=operation_name(info),
        )
        return [PhotoConsent(row=row) for row in rows]


@strawberry.type
class ConsentMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "Answer for your child (guardians with custody only). Withdrawing applies to "
            "photos already shared at once."
        ),
    )
    @errors_as_data
    async def set_photo_consent(
        self, info: Info, child_id: strawberry.ID, level: PhotoConsentLevel
    ) -> PhotoConsentResult:
        row = await consent_service.set_photo_consent(
            db=info.context.db,
            actor=await info.context.require_actor(),
            child_id=decode(child_id, "Child", field="childId"),
            level=level.value,
        )
        return PhotoConsent(row=row)
