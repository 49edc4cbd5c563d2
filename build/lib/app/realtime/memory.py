"""The in-process broker: the default, and enough for a single worker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from app.realtime.base import DEFAULT_QUEUE_SIZE, FanOut, Subscription, encode_payload

logger = logging.getLogger(__name__)


class InProcessBroker:
    """Fan-out within one process: the default, and enough for a single worker."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._fanout = FanOut()
        self._closed = False

    async def start(self) -> None:
        self._closed = False

    async def close(self) -> None:
        self._closed = True
        self._fanout.close_all()

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        if self._closed:
            raise RuntimeError("broker is closed")
        self._fanout.deliver(channel, encode_payload(payload))

    def subscriber_count(self, channel: str) -> int:
        """Local subscribers of ``channel`` (for metrics and tests)."""
        return self._fanout.count(channel)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        if self._closed:
            raise RuntimeError("broker is closed")
        subscription = Subscription(channel, self._queue_size)
        self._fanout.add(channel, subscription)
        try:
            yield subscription
        finally:
            self._fanout.remove(channel, subscription)


# -- PostgreSQL LISTEN/NOTIFY ------------------------------------------------------------
