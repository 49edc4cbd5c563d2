"""Every subscription re-checks its caller's session before each event it sends: one
mechanism for all of them, here in the plumbing. The check itself (is the bearer token still a
live session: not revoked, not idle too long, not past its lifetime) knows the accounts slice,
so the root passes it in; this module imports no slice."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.api.errors import Unauthenticated

SessionCheck = Callable[[Any], Awaitable[bool]]
"""Given the operation's context: is the session behind it still alive?"""


class SessionRecheck(SchemaExtension):
    """Before a subscription's event is sent (after it was resolved, so one check per event
    sent, none for broker messages the resolver filtered away), the session is checked again
    in a short transaction of its own. A dead session turns the event into an
    UNAUTHENTICATED error without data, and `ends_stream` makes that result the stream's last
    (`app.api.errors.shaped_stream`). Queries and mutations over a streaming transport are
    checked once, as every operation is, when they start."""

    def __init__(self, check: SessionCheck) -> None:
        self.check = check

    async def on_stream_result(self, result: Any) -> AsyncIterator[None]:
        if (
            self.execution_context.operation_type is OperationType.SUBSCRIPTION
            and getattr(result, "data", None) is not None
            and not await self.check(self.execution_context.context)
        ):
            language = getattr(self.execution_context.context, "language", "da")
            result.data = None
            result.errors = [Unauthenticated(language)]
        yield
