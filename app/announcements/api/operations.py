"""Queries and mutations of announcements (opslag): thin shells over the use cases (what
they set off after commit, they record themselves)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.announcements import loaders as announcement_loaders
from app.announcements import models
from app.announcements.api.types import AnnouncementNode, OverdueAnnouncement
from app.announcements.service import posting as announcements
from app.announcements.service import receipts, reminders
from app.api.errors import (
    ConflictError,
    IdempotencyKeyReusedError,
    NotFoundError,
    ValidationError,
    errors_as_data,
)
from app.api.idempotency import IdempotencyKeyArg, first, idempotent
from app.api.ids import decode
from app.api.pagination import Connection, connection
from app.api.permissions import IsAuthenticated


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
    Union[
        AnnouncementNode, ValidationError, NotFoundError, ConflictError, IdempotencyKeyReusedError
    ],
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
        page = await receipts.announcements_page(
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

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="For the institution's staff: announcements past their due date, each with "
        "the children no guardian has confirmed for and whom it went to. Newest due date first; "
        "empty for anyone else. (The day before the due date the worker reminds those who "
        "have not confirmed, once.)",
    )
    async def overdue_announcement_confirmations(
        self, info: Info, institution_id: strawberry.ID
    ) -> list[OverdueAnnouncement]:
        rows = await reminders.overdue_confirmations(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
        )
        return [OverdueAnnouncement.of(row) for row in rows]


@strawberry.type
class AnnouncementMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Staff post to a group or the whole institution.",
    )
    @errors_as_data
    @idempotent(models.Announcement, present=first(AnnouncementNode.of))
    async def post_announcement(
        self, info: Info, input: PostAnnouncementInput, idempotency_key: IdempotencyKeyArg = None
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
        )
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
            announcement_id=decode(announcement_id, "Announcement", field="announcementId"),
        )
        return AnnouncementDeleted()

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def mark_announcement_read(
        self, info: Info, announcement_id: strawberry.ID
    ) -> AnnouncementResult:
        return await _receipt_change(info, announcement_id, receipts.mark_read)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="A guardian confirms an announcement that asks for it. Confirmations are "
        "consent-like: a guardian without custody of any child it was for is refused "
        "(CONFIRMATION_NEEDS_CUSTODY) unless the institution allows it "
        "(settings.custodyLessGuardiansMayConfirm).",
    )
    @errors_as_data
    async def confirm_announcement(
        self, info: Info, announcement_id: strawberry.ID
    ) -> AnnouncementResult:
        return await _receipt_change(info, announcement_id, receipts.confirm)


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
