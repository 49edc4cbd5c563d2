"""Publish/subscribe for GraphQL subscriptions: in-process, or across workers via PostgreSQL.

Events carry IDs only (each subscriber re-reads through its own visibility rules), so a
payload is a small JSON object. The API is the same for both brokers::

    await broker.start()
    async with broker.subscribe("thread:123") as events:  # listening once entered
        async for event in events:                         # dict[str, Any]
            ...
    await broker.publish("thread:123", {"message_id": "..."})  # after the commit
    await broker.close()  # ends every subscriber's ``async for``

base.py holds the protocol and what both share; memory.py and postgres.py the brokers.
"""

from __future__ import annotations

from app.config import Settings
from app.realtime.base import Broker, PayloadTooLarge, Subscription, encode_payload
from app.realtime.memory import InProcessBroker
from app.realtime.postgres import PostgresBroker, asyncpg_dsn, pg_channel

__all__ = [
    "Broker",
    "InProcessBroker",
    "PayloadTooLarge",
    "PostgresBroker",
    "Subscription",
    "asyncpg_dsn",
    "create_broker",
    "encode_payload",
    "pg_channel",
]


def create_broker(settings: Settings) -> Broker:
    """The broker the settings ask for (``SEDDEL_BROKER``)."""
    if settings.broker_backend == "memory":
        return InProcessBroker()
    if settings.broker_backend == "postgres":
        if not settings.is_postgres:
            raise ValueError("SEDDEL_BROKER=postgres needs a PostgreSQL SEDDEL_DATABASE_URL")
        return PostgresBroker(settings.database_url)
    raise ValueError(f"unknown broker backend {settings.broker_backend!r} (memory or postgres)")
