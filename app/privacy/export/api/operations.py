"""`requestMyDataExport` and `myDataExports`: thin shells over service/requests.py."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.api.errors import errors_as_data
from app.api.idempotency import IdempotencyKeyArg, first, idempotent
from app.api.permissions import IsAuthenticated
from app.privacy.export import models
from app.privacy.export.api.types import DataExport, RequestMyDataExportResult
from app.privacy.export.service import requests


def _present(row: models.DataExport) -> DataExport:
    return DataExport.of(row)


@strawberry.type
class DataExportQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Your latest data exports (at most 20), newest first, with their state, "
        "progress and, once ready, the download link. Only ever your own.",
    )
    async def my_data_exports(self, info: Info) -> list[DataExport]:
        actor = await info.context.require_actor()
        rows = await requests.my_data_exports(db=info.context.db, actor=actor)
        return [DataExport.of(row, actor.language) for row in rows]


@strawberry.type
class DataExportMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ask for a copy of your data (GDPR Art. 15; custody holders: with their "
        "children's). It is built in the background; follow it in `myDataExports`, and you "
        "are told when it is ready. One at a time: `ConflictError` while another is running.",
    )
    @errors_as_data
    @idempotent(models.DataExport, present=first(_present))
    async def request_my_data_export(
        self, info: Info, idempotency_key: IdempotencyKeyArg = None
    ) -> RequestMyDataExportResult:
        actor = await info.context.require_actor()
        row = await requests.request_my_data_export(db=info.context.db, actor=actor)
        return DataExport.of(row, actor.language)
