"""The File type every domain uses for its attachments and pictures."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.api.ids import encode
from app.files.models import StoredFile
from app.files.service import uploads as files


@strawberry.type(
    name="File",
    description="An uploaded file, cleaned: images are re-encoded without metadata.",
)
class File:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int = strawberry.field(description="Bytes of the main rendition.")
    width: int | None
    height: int | None
    is_image: bool
    variants: list[str] = strawberry.field(
        description="Renditions: photo full/display/thumbnail, attachment original(/thumbnail)."
    )
    row: strawberry.Private[StoredFile]

    @classmethod
    def of(cls, row: StoredFile) -> File:
        return cls(
            id=strawberry.ID(encode("File", row.id)),
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            width=row.width,
            height=row.height,
            is_image=row.kind == "image",
            variants=list(row.variants),
            row=row,
        )

    @strawberry.field(
        description="A short-lived download link to one rendition (default: the main one)."
    )
    async def url(self, info: Info, variant: str | None = None) -> str | None:
        return await files.signed_url(
            info.context.runtime.storage,
            self.row,
            variant,
            expires_in=info.context.settings.signed_url_ttl_seconds,
        )
