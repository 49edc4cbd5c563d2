"""GraphQL types and operations of photos and albums."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Union
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import (
    IdempotencyKeyReusedError,
    NotFoundError,
    ValidationError,
    errors_as_data,
)
from app.api.idempotency import IdempotencyKeyArg, first, idempotent
from app.api.ids import decode
from app.api.loaders import later
from app.api.node import load_nodes, node_of
from app.api.pagination import Connection, Edge, PageInfo, connection
from app.api.permissions import IsAuthenticated
from app.core.errors import ValidationFailed
from app.core.i18n import translate
from app.files import loaders as file_loaders
from app.files.models import StoredFile
from app.files.reads import FileRow
from app.files.service import uploads as files
from app.gallery import loaders as gallery_loaders
from app.gallery import models
from app.gallery.api.consent import PhotoConsent
from app.gallery.policies import can_see_consent_details
from app.gallery.reads import PhotoRow
from app.gallery.service import photos as gallery
from app.institutions import loaders as institution_loaders
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access

if TYPE_CHECKING:
    from app.institutions.api.types import ChildNode, GroupNode

ChildRef = Annotated["ChildNode", strawberry.lazy("app.institutions.api.types")]
GroupRef = Annotated["GroupNode", strawberry.lazy("app.institutions.api.types")]


@strawberry.enum(description="Renditions of a photo, all re-encoded without metadata.")
class PhotoVariant(Enum):
    FULL = "full"
    DISPLAY = "display"
    THUMBNAIL = "thumbnail"


@strawberry.type(name="Photo")
class PhotoNode(relay.Node):
    id: relay.NodeID[str]
    caption: str
    taken_on: dt.date
    created_at: dt.datetime
    row: strawberry.Private[models.Photo | PhotoRow]

    @classmethod
    def of(cls, row: models.Photo | PhotoRow) -> PhotoNode:
        return cls(
            id=str(row.id),
            caption=row.caption,
            taken_on=row.taken_on,
            created_at=row.created_at,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PhotoNode | None]:
        nodes = await load_nodes(info, gallery_loaders.photo_by_id, node_ids, cls.of)
        await _log_photos(info, [n.row.id for n in nodes if n is not None])
        return nodes

    @strawberry.field
    async def group(self, info: Info) -> GroupRef | None:
        row = await info.context.loaders.get(institution_loaders.group_by_id).load(
            self.row.group_id
        )
        return node_of(info, "Group", row) if row else None

    @strawberry.field(
        description="The children shown, as far as you may see them (guardians: their own)."
    )
    async def children(self, info: Info) -> list[ChildRef]:
        ids = await info.context.loaders.get(gallery_loaders.child_ids_by_photo).load(self.row.id)
        rows = await info.context.loaders.get(institution_loaders.child_by_id).load_many(ids)
        return [node_of(info, "Child", row) for row in rows if row is not None]

    @strawberry.field(description="Consent of each child shown: for the institution's staff.")
    async def consents(self, info: Info) -> list[PhotoConsent]:
        actor = await info.context.require_actor()
        if not can_see_consent_details(actor, self.row.institution_id):
            return []
        ids = await info.context.loaders.get(gallery_loaders.child_ids_by_photo).load(self.row.id)
        rows = await info.context.loaders.get(institution_loaders.child_by_id).load_many(ids)
        return [PhotoConsent(row=row) for row in rows if row is not None]

    @strawberry.field
    def taken_by(self, info: Info) -> str:
        if isinstance(self.row, PhotoRow):
            return self.row.taken_by_name  # the read model holds it
        return later(self._taken_by(info))

    async def _taken_by(self, info: Info) -> str:
        user = await info.context.loaders.get(institution_loaders.user_by_id).load(
            self.row.created_by
        )
        return user.name if user else ""

    async def _file(self, info: Info) -> StoredFile | FileRow | None:
        if isinstance(self.row, PhotoRow):
            return self.row.file
        file: StoredFile | None = await info.context.loaders.get(file_loaders.file_by_id).load(
            self.row.file_id
        )
        return file

    @strawberry.field(description="Pixel size of the full rendition.")
    async def width(self, info: Info) -> int | None:
        file = await self._file(info)
        return file.width if file else None

    @strawberry.field
    async def height(self, info: Info) -> int | None:
        file = await self._file(info)
        return file.height if file else None

    @strawberry.field(description="A short-lived signed download link to one rendition.")
    async def url(self, info: Info, variant: PhotoVariant = PhotoVariant.DISPLAY) -> str | None:
        file = await self._file(info)
        if file is None:
            return None
        return await files.signed_url(
            info.context.runtime.storage,
            file,
            variant.value,
            expires_in=info.context.settings.signed_url_ttl_seconds,
        )


@strawberry.type(description="A group's photos of one day, as far as you may see them.")
class PhotoAlbum:
    day: dt.date
    photo_count: int
    group_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def group(self, info: Info) -> GroupRef | None:
        row = await info.context.loaders.get(institution_loaders.group_by_id).load(self.group_id)
        return node_of(info, "Group", row) if row else None

    @strawberry.field(description='"Today in Bjørnene", or the group and the day.')
    async def title(self, info: Info) -> str:
        group = await info.context.loaders.get(institution_loaders.group_by_id).load(self.group_id)
        name = group.name if group else ""
        institution = (
            await info.context.loaders.get(institution_loaders.institution_by_id).load(
                group.institution_id
            )
            if group
            else None
        )
        zone = ZoneInfo(institution.timezone if institution else "Europe/Copenhagen")
        language = info.context.language
        if self.day == dt.datetime.now(zone).date():
            return translate("album_today", language, group=name)
        return translate("album_day", language, group=name, day=f"{self.day:%d.%m.%Y}")

    @strawberry.field
    async def photos(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[PhotoNode]:
        page = await gallery.album_photos(
            db=info.context.db,
            actor=await info.context.require_actor(),
            group_id=self.group_id,
            day=self.day,
            first=first,
            after=after,
        )
        await _log_photos(info, [photo.id for photo in page.items])
        return connection(page, PhotoNode.of)


@strawberry.input
class AddPhotoInput:
    group_id: strawberry.ID
    file_id: strawberry.ID = strawberry.field(description='An upload of purpose "photo".')
    taken_on: dt.date | None = strawberry.field(default=None, description="Default: today.")
    caption: str = ""
    child_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class UpdatePhotoInput:
    photo_id: strawberry.ID
    caption: str | None = None
    taken_on: dt.date | None = None
    child_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Replaces who is tagged; null leaves it."
    )


@strawberry.type
class PhotoDeleted:
    ok: bool = True


PhotoResult = Annotated[
    Union[PhotoNode, ValidationError, NotFoundError, IdempotencyKeyReusedError],
    strawberry.union("PhotoResult"),
]
PhotoDeletedResult = Annotated[
    Union[PhotoDeleted, ValidationError, NotFoundError], strawberry.union("PhotoDeletedResult")
]


def _child_ids(values: list[strawberry.ID]) -> list[uuid.UUID]:
    return [decode(v, "Child", field="childIds") for v in values]


def _day_cursor(after: str | None) -> dt.date | None:
    if after is None:
        return None
    try:
        return dt.date.fromisoformat(after)
    except ValueError as exc:
        raise ValidationFailed("invalid_cursor", field="after") from exc


async def _log_photos(info: Info, photo_ids: list[uuid.UUID]) -> None:
    """A photo is personal data of every child on it: note them all (one batched load,
    the same the `children` field makes, so selecting it costs nothing more)."""
    if not photo_ids:
        return
    loader = info.context.loaders.get(gallery_loaders.child_ids_by_photo)
    tagged = await loader.load_many(photo_ids)
    record_access(
        info.context.db,
        await info.context.require_actor(),
        child_ids={child for children in tagged for child in children},
        kind=AccessKind.PHOTOS,
        operation=operation_name(info),
    )


@strawberry.type
class PhotoQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The group's days with photos, newest first (cursor: the day).",
    )
    async def photo_albums(
        self, info: Info, group_id: strawberry.ID, first: int | None = 20, after: str | None = None
    ) -> Connection[PhotoAlbum]:
        days, more = await gallery.album_days(
            db=info.context.db,
            actor=await info.context.require_actor(),
            group_id=decode(group_id, "Group", field="groupId"),
            first=first,
            before=_day_cursor(after),
        )
        edges = [
            Edge(
                cursor=d.day.isoformat(),
                node=PhotoAlbum(day=d.day, photo_count=d.photo_count, group_id=d.group_id),
            )
            for d in days
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=more,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description='One day of a group ("Today in Bjørnene" when no day is given).',
    )
    async def photo_album(
        self, info: Info, group_id: strawberry.ID, day: dt.date | None = None
    ) -> PhotoAlbum | None:
        group = await info.context.loaders.get(institution_loaders.group_by_id).load(
            decode(group_id, "Group", field="groupId")
        )
        if group is None:
            return None
        if day is None:
            institution = await info.context.loaders.get(
                institution_loaders.institution_by_id
            ).load(group.institution_id)
            day = dt.datetime.now(ZoneInfo(institution.timezone)).date()
        count = await gallery.album_count(
            db=info.context.db, actor=await info.context.require_actor(), group_id=group.id, day=day
        )
        return PhotoAlbum(day=day, photo_count=count, group_id=group.id)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Every photo of the child you may see, in the order taken.",
    )
    async def child_photos(
        self, info: Info, child_id: strawberry.ID, first: int | None = 50, after: str | None = None
    ) -> Connection[PhotoNode]:
        actor = await info.context.require_actor()
        child = decode(child_id, "Child", field="childId")
        page = await gallery.child_photos(
            db=info.context.db, actor=actor, child_id=child, first=first, after=after
        )
        if page.items:
            record_access(
                info.context.db,
                actor,
                child_ids=[child],
                kind=AccessKind.PHOTOS,
                operation=operation_name(info),
            )
        return connection(page, PhotoNode.of)


@strawberry.type
class PhotoMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "Staff of the group add an uploaded photo and tag the children on it; a child "
            "whose consent is NONE is refused (NO_PHOTO_CONSENT)."
        ),
    )
    @errors_as_data
    @idempotent(models.Photo, present=first(PhotoNode.of))
    async def add_photo(
        self, info: Info, input: AddPhotoInput, idempotency_key: IdempotencyKeyArg = None
    ) -> PhotoResult:
        change = await gallery.add_photo(
            db=info.context.db,
            actor=await info.context.require_actor(),
            group_id=decode(input.group_id, "Group", field="groupId"),
            file_id=decode(input.file_id, "File", field="fileId"),
            taken_on=input.taken_on,
            caption=input.caption,
            child_ids=_child_ids(input.child_ids),
        )
        return PhotoNode.of(change.photo)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    async def update_photo(self, info: Info, input: UpdatePhotoInput) -> PhotoResult:
        change = await gallery.update_photo(
            db=info.context.db,
            actor=await info.context.require_actor(),
            photo_id=decode(input.photo_id, "Photo", field="photoId"),
            caption=input.caption,
            taken_on=input.taken_on,
            child_ids=_child_ids(input.child_ids) if input.child_ids is not None else None,
        )
        return PhotoNode.of(change.photo)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Delete a photo and its stored renditions.",
    )
    @errors_as_data
    async def delete_photo(self, info: Info, photo_id: strawberry.ID) -> PhotoDeletedResult:
        await gallery.delete_photo(
            db=info.context.db,
            actor=await info.context.require_actor(),
            photo_id=decode(photo_id, "Photo", field="photoId"),
        )
        return PhotoDeleted()
