"""Reading the access log as it is stored, for the tests of the log."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.api.ids import decode
from app.core.runtime import Runtime
from app.db import scope
from app.privacy.accesslog.models import AccessLogEntry
from tests.client import GraphQLClient
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, institution_id

# (who by e-mail, child id, kind, role, operation)
Row = tuple[str, uuid.UUID, str, str, str]


async def tenants(client: GraphQLClient) -> list[uuid.UUID]:
    return [
        decode(await institution_id(client, admin), "Institution", field="id")
        for admin in (SOLSIKKEN_ADMIN, REGNBUEN_ADMIN)
    ]


async def log_rows(runtime: Runtime, client: GraphQLClient) -> list[Row]:
    """Every row of the log, as the demo's two institutions see it (row-level security)."""
    ids = await tenants(client)
    async with runtime.sessions() as db:
        scope(db, institution_ids=ids, user_id=None)
        rows = (
            await db.execute(
                select(
                    User.email,
                    AccessLogEntry.child_id,
                    AccessLogEntry.kind,
                    AccessLogEntry.role,
                    AccessLogEntry.operation,
                )
                .outerjoin(User, User.id == AccessLogEntry.user_id)
                .order_by(AccessLogEntry.accessed_at, AccessLogEntry.child_id)
            )
        ).all()
        await db.rollback()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def child_uuid(global_id: str) -> uuid.UUID:
    return decode(global_id, "Child", field="childId")


class LogWatch:
    """The rows one step added: `async with watch as new: ...; new.rows`."""

    def __init__(self, runtime: Runtime, client: GraphQLClient) -> None:
        self.runtime = runtime
        self.client = client
        self.rows: list[Row] = []
        self._before: list[Row] = []

    async def __aenter__(self) -> LogWatch:
        self._before = await log_rows(self.runtime, self.client)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        after = await log_rows(self.runtime, self.client)
        self.rows = after[len(self._before) :]
