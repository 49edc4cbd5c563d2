"""What a running server holds for its whole life: engine, sessions, storage, broker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.config import Settings
from app.core.events import bind_sessions
from app.db import RequestSession

if TYPE_CHECKING:
    from app.realtime import Broker
    from app.storage import ObjectStorage


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine | None
    sessions: async_sessionmaker[RequestSession]
    storage: ObjectStorage
    broker: Broker

    def __post_init__(self) -> None:
        # What the sessions' transactions record is published through this runtime's broker.
        bind_sessions(self.sessions, self)
