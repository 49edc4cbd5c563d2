"""GraphQL subscriptions in the test process: the trusted document runs on the app's schema
with a context like a websocket's, against the test's rolled-back connection.

That one connection serves the mutation's request and the subscriber's re-read, so they
must take turns: the broker holds what is published until the test asks for the next pushed
row (`Subscriber.next`), by which time the mutation's request is over."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from app.core.runtime import Runtime
from app.realtime import InProcessBroker
from app.root.context import Context
from app.root.schema import build_schema
from tests.client import GraphQLClient


class HeldBroker(InProcessBroker):
    """An in-process broker that delivers a channel's events only when released."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        self.held.append((channel, payload))

    def published(self, channel: str) -> list[dict[str, Any]]:
        return [payload for held_channel, payload in self.held if held_channel == channel]

    async def release(self, channel: str) -> None:
        due = [(c, p) for c, p in self.held if c == channel]
        self.held = [(c, p) for c, p in self.held if c != channel]
        for held_channel, payload in due:
            await super().publish(held_channel, payload)


def hold_events(runtime: Runtime) -> HeldBroker:
    """Swap the runtime's broker (the test client's app reads it per request)."""
    broker = HeldBroker()
    runtime.broker = broker
    return broker


class Subscriber:
    def __init__(self, broker: HeldBroker, channel: str, stream: Any, field: str) -> None:
        self.broker, self.channel, self.stream, self.field = broker, channel, stream, field
        self.pending: asyncio.Future[Any] = asyncio.ensure_future(stream.__anext__())

    async def listening(self) -> None:
        for _ in range(500):
            if self.pending.done():
                raise AssertionError(f"the subscription ended: {self.pending.result()}")
            if self.broker.subscriber_count(self.channel):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"nobody listens on {self.channel}")

    async def next(self) -> dict[str, Any]:
        """Release what was published on the channel and return the next pushed row."""
        await self.broker.release(self.channel)
        result = await asyncio.wait_for(self.pending, timeout=5)
        assert not result.errors, result.errors
        self.pending = asyncio.ensure_future(self.stream.__anext__())
        pushed: dict[str, Any] = result.data[self.field]
        return pushed

    async def close(self) -> None:
        self.pending.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await self.pending
        await self.stream.aclose()


@asynccontextmanager
async def subscribed(
    runtime: Runtime,
    client: GraphQLClient,
    operation: str,
    variables: dict[str, Any],
    *,
    as_: str,
    channel: str,
) -> AsyncIterator[Subscriber]:
    """Run the trusted subscription `operation` as `as_` until it listens on `channel`."""
    broker = runtime.broker
    assert isinstance(broker, HeldBroker), "hold_events(runtime) first"
    token = await client.token_for(as_)
    schema = build_schema(runtime.settings)
    async with runtime.sessions() as db:
        context = Context(runtime=runtime, db=db, request_id="test-subscription", token=token)
        stream = await schema.subscribe(
            None, variable_values=variables, context_value=context, operation_name=operation
        )
        field = operation[0].lower() + operation[1:]
        subscriber = Subscriber(broker, channel, stream, field)
        try:
            await subscriber.listening()
            yield subscriber
        finally:
            await subscriber.close()
