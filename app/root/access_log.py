"""The access log over a websocket: its operations share one session that lives as long as the
connection, so the context getter's end (app.root.graphql) comes too late for them. Before
each result a websocket sends (every event of a subscription, a query over the socket), the
reads it noted are written in one INSERT and committed: an event that carried a child's data
has always left its row behind it, as an HTTP answer has."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from app.privacy.accesslog.service import recording as access_log


class AccessLogPerResult(SchemaExtension):
    """List it after SessionRecheck. A result whose data a dead session took away still writes
    what its resolver noted (another subscription on the socket may share the notes: better a
    row too many than an event sent without its row). A failed write sends an error instead."""

    async def on_stream_result(self, result: Any) -> AsyncIterator[None]:
        context = self.execution_context.context
        db = getattr(context, "db", None)
        runtime = getattr(context, "runtime", None)
        if db is not None and runtime is not None:
            if not runtime.settings.access_log:
                access_log.discard(db)
            else:
                try:
                    if await access_log.flush(db):
                        await db.commit()
                except Exception as error:  # masked and logged by shaped_stream
                    await db.rollback()
                    result.data = None
                    result.errors = [GraphQLError("access log", original_error=error)]
        yield
