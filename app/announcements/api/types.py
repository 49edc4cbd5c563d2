"""GraphQL types of announcements (opslag): the Announcement node and its receipts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.announcements import loaders as announcement_loaders
from app.announcements import models
from app.announcements.policies import can_follow_up
from app.announcements.service import receipts, reminders
from app.api.node import load_nodes, node_of
from app.api.reach import NotificationReach
from app.institutions import loaders as institution_loaders
from app.notifications.service import reach as notification_reach

if TYPE_CHECKING:
    from app.files.api.types import File
    from app.institutions.api.types import GroupNode, InstitutionNode

LazyInstitution = Annotated["InstitutionNode", strawberry.lazy("app.institutions.api.types")]
LazyGroup = Annotated["GroupNode", strawberry.lazy("app.institutions.api.types")]
LazyFile = Annotated["File", strawberry.lazy("app.files.api.types")]


@strawberry.type
class AnnouncementReceipt:
    read_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    needs_confirmation: bool

    @classmethod
    def of(cls, row: models.AnnouncementReceipt) -> AnnouncementReceipt:
        return cls(
            read_at=row.read_at,
            confirmed_at=row.confirmed_at,
            needs_confirmation=row.needs_confirmation,
        )


@strawberry.type
class AnnouncementStats:
    recipients: int
    read: int
    confirmed: int


@strawberry.type
class GuardianConfirmation:
    name: str
    read_at: dt.datetime | None
    confirmed_at: dt.datetime | None


@strawberry.type
class ChildConfirmation:
    child_id: strawberry.ID
    child_name: str
    confirmed: bool = strawberry.field(description="Any of the child's guardians confirmed.")
    guardians: list[GuardianConfirmation] = strawberry.field(
        description="The guardians it went to; none means nobody can confirm for the child."
    )


@strawberry.type(name="Announcement")
class AnnouncementNode(relay.Node):
    id: relay.NodeID[str]
    title: str
    body: str
    requires_confirmation: bool
    due_on: dt.date | None
    is_sensitive: bool = strawberry.field(
        description="Not for guardians with information-only access; never in push texts."
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    row: strawberry.Private[models.Announcement]

    @classmethod
    def of(cls, row: models.Announcement) -> AnnouncementNode:
        return cls(
            id=str(row.id),
            title=row.title,
            body=row.body,
            requires_confirmation=row.requires_confirmation,
            due_on=row.due_on,
            is_sensitive=row.is_sensitive,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AnnouncementNode | None]:
        return await load_nodes(info, announcement_loaders.announcement_by_id, node_ids, cls.of)

    @strawberry.field
    async def institution(self, info: Info) -> LazyInstitution | None:
        row = await info.context.loaders.get(institution_loaders.institution_by_id).load(
            self.row.institution_id
        )
        return node_of(info, "Institution", row) if row else None

    @strawberry.field(description="Null: posted to the whole institution.")
    async def group(self, info: Info) -> LazyGroup | None:
        if self.row.group_id is None:
            return None
        row = await info.context.loaders.get(institution_loaders.group_by_id).load(
            self.row.group_id
        )
        return node_of(info, "Group", row) if row else None

    @strawberry.field
    async def author_name(self, info: Info) -> str:
        user = await info.context.loaders.get(institution_loaders.user_by_id).load(
            self.row.author_id
        )
        return user.name if user else ""

    @strawberry.field
    async def attachments(self, info: Info) -> list[LazyFile]:
        rows = await info.context.loaders.get(announcement_loaders.files_by_announcement).load(
            self.row.id
        )
        return [node_of(info, "File", row) for row in rows]

    @strawberry.field(description="Yours, if it was addressed to you.")
    async def my_receipt(self, info: Info) -> AnnouncementReceipt | None:
        row = await info.context.loaders.get(announcement_loaders.my_receipt_by_announcement).load(
            self.row.id
        )
        return AnnouncementReceipt.of(row) if row else None

    @strawberry.field(description="How many got, read and confirmed it: for the staff.")
    async def stats(self, info: Info) -> AnnouncementStats | None:
        actor = await info.context.require_actor()
        if not can_follow_up(actor, self.row):
            return None
        total, read, confirmed = await info.context.loaders.get(
            announcement_loaders.receipt_counts_by_announcement
        ).load(self.row.id)
        return AnnouncementStats(recipients=total, read=read, confirmed=confirmed)

    @strawberry.field(
        description="Per recipient: whether the notification reached them by push or e-mail"
        " (staff only; null for others). Never what they read."
    )
    async def reach(self, info: Info) -> list[NotificationReach] | None:
        actor = await info.context.require_actor()
        if not can_follow_up(actor, self.row):
            return None
        rows = await notification_reach.reach_of(
            info.context.db, institution_id=self.row.institution_id, subject_id=self.row.id
        )
        return [NotificationReach.of(row) for row in rows]

    @strawberry.field(description="Per child: who confirmed and who has not (staff only).")
    async def confirmations(self, info: Info) -> list[ChildConfirmation] | None:
        rows = await receipts.confirmation_overview(
            db=info.context.db, actor=await info.context.require_actor(), announcement=self.row
        )
        if rows is None:
            return None
        return [
            ChildConfirmation(
                child_id=strawberry.ID(str(relay.GlobalID("Child", str(row.child_id)))),
                child_name=row.child_name,
                confirmed=row.confirmed,
                guardians=[
                    GuardianConfirmation(
                        name=g.name, read_at=g.read_at, confirmed_at=g.confirmed_at
                    )
                    for g in row.guardians
                ],
            )
            for row in rows
        ]


@strawberry.type(description="A child of an overdue announcement no guardian confirmed for.")
class OverdueChild:
    child_id: strawberry.ID
    child_name: str
    guardians: list[str] = strawberry.field(
        description="The guardians it went to, none of whom confirmed; empty: nobody could."
    )


@strawberry.type(description="An announcement past its due date with children unconfirmed.")
class OverdueAnnouncement:
    announcement_id: strawberry.ID
    title: str
    due_on: dt.date
    children: list[OverdueChild]

    @classmethod
    def of(cls, row: reminders.Overdue) -> OverdueAnnouncement:
        return cls(
            announcement_id=strawberry.ID(
                str(relay.GlobalID("Announcement", str(row.announcement_id)))
            ),
            title=row.title,
            due_on=row.due_on,
            children=[
                OverdueChild(
                    child_id=strawberry.ID(str(relay.GlobalID("Child", str(c.child_id)))),
                    child_name=c.child_name,
                    guardians=c.guardians,
                )
                for c in row.children
            ],
        )
