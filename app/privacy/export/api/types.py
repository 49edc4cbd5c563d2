"""GraphQL types of the Art. 15 export: thin shells over the rows."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.api.errors import (
    ConflictError,
    IdempotencyKeyReusedError,
    NotFoundError,
    ValidationError,
)
from app.api.ids import encode
from app.core.i18n import translate
from app.privacy.export import models
from app.privacy.export.service import requests


@strawberry.enum(description="Where an export is: queued → building → ready → expired, or failed.")
class DataExportState(Enum):
    QUEUED = models.ExportState.QUEUED.value
    BUILDING = models.ExportState.BUILDING.value
    READY = models.ExportState.READY.value
    EXPIRED = models.ExportState.EXPIRED.value
    FAILED = models.ExportState.FAILED.value


@strawberry.type(
    description="A copy of your data (GDPR Art. 15) as one ZIP: JSON per kind with a README in "
    "your language, the photos you may see at full resolution, your threads' attachments and, "
    "for children in your custody, their data and access log. Downloadable for 7 days."
)
class DataExport:
    id: strawberry.ID
    state: DataExportState
    progress: int = strawberry.field(description="0-100; 100 once ready.")
    requested_at: dt.datetime
    ready_at: dt.datetime | None
    expires_at: dt.datetime | None = strawberry.field(
        description="When the ZIP is deleted (7 days after it was ready)."
    )
    size_bytes: int | None
    failure_reason: str | None = strawberry.field(
        description="Why it failed, in your language; null unless failed."
    )
    row: strawberry.Private[models.DataExport]

    @strawberry.field(
        description="A signed link to the ZIP, valid until `expiresAt`; null unless ready."
    )
    async def download_url(self, info: Info) -> str | None:
        return await requests.download_url(info.context.runtime.storage, self.row)

    @classmethod
    def of(cls, row: models.DataExport, language: str = "da") -> DataExport:
        return cls(
            id=strawberry.ID(encode("DataExport", row.id)),
            state=DataExportState(row.state),
            progress=row.progress,
            requested_at=row.requested_at,
            ready_at=row.ready_at,
            expires_at=row.expires_at,
            size_bytes=row.size_bytes,
            failure_reason=translate(row.failure_reason, language) if row.failure_reason else None,
            row=row,
        )


RequestMyDataExportResult = Annotated[
    Union[DataExport, ValidationError, ConflictError, NotFoundError, IdempotencyKeyReusedError],
    strawberry.union("RequestMyDataExportResult"),
]
