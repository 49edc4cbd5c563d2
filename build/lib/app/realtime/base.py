"""What every broker shares: the protocol, payload encoding, per-subscriber mailboxes and
the fan-out to them. Events carry IDs only; each subscriber re-reads through its own visibility."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

logger = logging.getLogger(__name__)

# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; keep a margin.
MAX_PAYLOAD_BYTES = 7900
DEFAULT_QUEUE_SIZE = 256


class PayloadTooLarge(ValueError):
    """An event too big for NOTIFY: events should carry IDs, not content."""


def encode_payload(payload: dict[str, Any]) -> str:
    """Compact JSON text of an event; both brokers use it so they accept the same events."""
    if not isinstance(payload, dict):
        raise TypeError("an event payload must be a dict")
    text = json.dumps(payload, separators=(",", ":"))  # ASCII only: bytes == characters
    if len(text) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(
            f"event payload is {len(text)} bytes, the limit is {MAX_PAYLOAD_BYTES}; "
            "events carry IDs only"
        )
    return text


class Subscription:
    """One subscriber's mailbox: an async iterator of event dicts.

    Holds raw JSON text and decodes per subscriber, so no two subscribers share (and can
    mutate) one dict.
    """

    def __init__(self, channel: str, maxsize: int = DEFAULT_QUEUE_SIZE) -> None:
        self.channel = channel
        self.dropped = 0
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize)
        self._finished = False

    def deliver(self, raw: str | None) -> None:
        """Queue an event (``None`` ends the iteration), dropping the oldest when full."""
        if self._queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self._queue.get_nowait()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                logger.warning(
                    "slow subscriber on %r: dropped %d events", self.channel, self.dropped
                )
        self._queue.put_nowait(raw)

    def close(self) -> None:
        self.deliver(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while not self._finished:
            raw = await self._queue.get()
            if raw is None:
                self._finished = True
                break
            try:
                event = json.loads(raw)
            except ValueError:
                event = None
            if isinstance(event, dict):
                return event
            logger.warning("ignored a malformed event on %r", self.channel)
        raise StopAsyncIteration


class Broker(Protocol):
    async def start(self) -> None:
        """Connect (if there is anything to connect to); call once before use."""

    async def close(self) -> None:
        """Disconnect and end every open subscription."""

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        """Send ``payload`` to every current subscriber of ``channel``, in any process."""

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """Listen on ``channel`` for the duration of the ``async with`` block."""


class FanOut:
    """Subscriptions grouped by key; the part both brokers share."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, set[Subscription]] = {}

    def add(self, key: str, subscription: Subscription) -> bool:
        """Register; return whether it is the key's first subscriber."""
        group = self._subscriptions.setdefault(key, set())
        group.add(subscription)
        return len(group) == 1

    def remove(self, key: str, subscription: Subscription) -> bool:
        """Unregister; return whether the key has no subscribers left."""
        group = self._subscriptions.get(key)
        if group is None:
            return False
        group.discard(subscription)
        if group:
            return False
        del self._subscriptions[key]
        return True

    def deliver(self, key: str, raw: str) -> None:
        for subscription in tuple(self._subscriptions.get(key, ())):
            subscription.deliver(raw)

    def count(self, key: str) -> int:
        return len(self._subscriptions.get(key, ()))

    def registered(self) -> list[str]:
        return list(self._subscriptions)

    def close_all(self) -> None:
        for group in self._subscriptions.values():
            for subscription in group:
                subscription.close()
