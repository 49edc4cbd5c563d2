"""GraphQL surface of announcements (opslag): thin shells over the service."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Union

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.announcements import loaders as announcement_loaders
from app.announcements import models
from app.announcements.policies import can_follow_up
from app.announcements.service import posting as announcements
from app.api.errors import ConflictError, NotFoundError, ValidationError, errors_as_data
from app.api.ids import decode
from app.api.pagination import Connection, connection
from app.api.permissions import IsAuthenticated
from app.files.api.types import File
from app.institutions import loaders as institution_loaders
from app.institutions.api.types import GroupNode, InstitutionNode

log = logging.getLogger("seddel.announcements")


def inbox_channel(user_id: uuid.UUID) -> str:
    """A user's inbox-change events (new announcements; messaging may publish here too)."""
    return f"inbox:{user_id}"


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
        await info.context.actor()
        rows = await info.context.loaders.get(announcement_loaders.announcement_by_id).load_many(
            [uuid.UUID(i) for i in node_ids]
        )
        return [cls.of(row) if row is not None else None for row in rows]

    @strawberry.field
    async def institution(self, info: Info) -> InstitutionNode | None:
        row = await info.context.loaders.get(institution_loaders.institution_by_id).load(
            self.row.institution_id
        )
        return InstitutionNode.of(row) if row else None

    @strawberry.field(description="Null: posted to the whole institution.")
    async def group(self, info: Info) -> GroupNode | None:
        if self.row.group_id is None:
            return None
        row = await info.context.loaders.get(institution_loaders.group_by_id).load(
            self.row.group_id
        )
        return GroupNode.of(row) if row else None

    @strawberry.field
    async def author_name(self, info: Info) -> str:
        user = await info.context.loaders.get(institution_loaders.user_by_id).load(
            self.row.author_id
        )
        return user.name if user else ""

    @strawberry.field
    async def attachments(self, info: Info) -> list[File]:
        rows = await info.context.loaders.get(announcement_loaders.files_by_announcement).load(
            self.row.id
        )
        return [File.of(row) for row in rows]

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

    @strawberry.field(description="Per child: who confirmed and who has not (staff only).")
    async def confirmations(self, info: Info) -> list[ChildConfirmation] | None:
        rows = await announcements.confirmation_overview(
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


@strawberry.input
class PostAnnouncementInput:
    institution_id: strawberry.ID
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="Leave out to post to the whole institution."
    )
    title: str
    body: str
    requires_confirmation: bool = False
    due_on: dt.date | None = strawberry.field(
        default=None, description="Confirm by this day (only with requiresConfirmation)."
    )
    is_sensitive: bool = False
    attachment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Files uploaded with purpose attachment."
    )


@strawberry.input
class UpdateAnnouncementInput:
    title: str | None = None
    body: str | None = None
    due_on: dt.date | None = None
    clear_due_on: bool = False


@strawberry.type
class AnnouncementDeleted:
    ok: bool = True


AnnouncementResult = Annotated[
    Union[AnnouncementNode, ValidationError, NotFoundError, ConflictError],
    strawberry.union("AnnouncementResult"),
]
AnnouncementDeletedResult = Annotated[
    Union[AnnouncementDeleted, NotFoundError], strawberry.union("AnnouncementDeletedResult")
]


@strawberry.type
class AnnouncementQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Announcements you may see, newest first; `unread`/`unconfirmed` filter on "
        "your own receipts.",
    )
    async def announcements(
        self,
        info: Info,
        institution_id: strawberry.ID | None = None,
        unread: bool = False,
        unconfirmed: bool = False,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[AnnouncementNode]:
        page = await announcements.announcements_page(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId")
            if institution_id
            else None,
            unread=unread,
            unconfirmed=unconfirmed,
            first=first,
            after=after,
        )
        return connection(page, AnnouncementNode.of)


async def _publish(info: Info, posted: announcements.Posted) -> None:
    """After the commit: an inbox-change event per recipient (IDs only). Best effort."""
    broker = info.context.runtime.broker
    event = {"kind": "announcement", "announcement_id": str(posted.announcement.id)}
    try:
        for user_id in sorted(posted.recipients):
            await broker.publish(inbox_channel(user_id), event)
    except Exception:  # the announcement is posted; a lost live event is not an error
        log.warning("inbox event for announcement %s not published", posted.announcement.id)


@strawberry.type
class AnnouncementMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Staff post to a group or the whole institution.",
    )
    @errors_as_data
    async def post_announcement(
        self, info: Info, input: PostAnnouncementInput
    ) -> AnnouncementResult:
        posted = await announcements.post_announcement(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(input.institution_id, "Institution", field="institutionId"),
            group_id=decode(input.group_id, "Group", field="groupId") if input.group_id else None,
            title=input.title,
            body=input.body,
            requires_confirmation=input.requires_confirmation,
            due_on=input.due_on,
            is_sensitive=input.is_sensitive,
            attachment_ids=[decode(i, "File", field="attachmentIds") for i in input.attachment_ids],
            digest_minutes=info.context.settings.email_digest_minutes,
        )
        await _publish(info, posted)
        return AnnouncementNode.of(posted.announcement)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="The author only.")
    @errors_as_data
    async def update_announcement(
        self, info: Info, announcement_id: strawberry.ID, input: UpdateAnnouncementInput
    ) -> AnnouncementResult:
        row = await announcements.update_announcement(
            db=info.context.db,
            actor=await info.context.require_actor(),
            announcement_id=decode(announcement_id, "Announcement", field="announcementId"),
            title=input.title,
            body=input.body,
            due_on=input.due_on,
            clear_due_on=input.clear_due_on,
        )
        return AnnouncementNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="The author only.")
    @errors_as_data
    async def delete_announcement(
        self, info: Info, announcement_id: strawberry.ID
    ) -> AnnouncementDeletedResult:
        await announcements.delete_announcement(
            db=info.context.db,
            actor=await info.context.require_actor(),
            storage=info.context.runtime.storage,
            announcement_id=decode(announcement_id, "Announcement", field="announcementId"),
        )
        return AnnouncementDeleted()

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def mark_announcement_read(
        self, info: Info, announcement_id: strawberry.ID
    ) -> AnnouncementResult:
        return await _receipt_change(info, announcement_id, announcements.mark_read)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A guardian confirms an announcement that asks for it.",
    )
    @errors_as_data
    async def confirm_announcement(
        self, info: Info, announcement_id: strawberry.ID
    ) -> AnnouncementResult:
        return await _receipt_change(info, announcement_id, announcements.confirm)


async def _receipt_change(
    info: Info,
    announcement_id: strawberry.ID,
    change: Callable[..., Awaitable[models.AnnouncementReceipt]],
) -> AnnouncementNode:
    actor = await info.context.require_actor()
    key = decode(announcement_id, "Announcement", field="announcementId")
    await change(db=info.context.db, actor=actor, announcement_id=key)
    row = await info.context.loaders.get(announcement_loaders.announcement_by_id).load(key)
    assert row is not None
    return AnnouncementNode.of(row)
