"""`seddel retention --dry-run`: the very same run inside a transaction that is rolled back,
with a storage that keeps every object. What it reports is exactly what a real run would do
at that moment, and nothing changes (not a row, not an object)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import session_factory
from app.ops.jobs import JobContext
from app.storage import ObjectStorage

R = TypeVar("R")


class KeepingStorage:
    """An ObjectStorage that reads through and deletes nothing; it notes what would go."""

    def __init__(self, inner: ObjectStorage) -> None:
        self.inner = inner
        self.would_delete: list[str] = []

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        raise RuntimeError("a dry run stores nothing")

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        raise RuntimeError("a dry run stores nothing")

    async def get(self, key: str) -> bytes:
        return await self.inner.get(key)

    async def delete(self, key: str) -> None:
        self.would_delete.append(key)

    async def delete_prefix(self, prefix: str) -> int:
        self.would_delete.append(prefix)
        return 0

    async def exists(self, key: str) -> bool:
        return await self.inner.exists(key)

    async def signed_url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        return await self.inner.signed_url(key, expires_in=expires_in, filename=filename)

    async def ping(self) -> None:
        await self.inner.ping()


async def dry_run(
    context: JobContext,
    connection: AsyncConnection,
    run: Callable[[JobContext], Awaitable[R]],
) -> tuple[R, KeepingStorage]:
    """`run` on sessions joined to one transaction of `connection` (a savepoint if it is in
    one already), rolled back at the end; its commits are savepoints within it."""
    outer = await (connection.begin_nested() if connection.in_transaction() else connection.begin())
    storage = KeepingStorage(context.storage)
    try:
        sessions = session_factory(connection, join_transaction_mode="create_savepoint")
        result = await run(dataclasses.replace(context, sessions=sessions, storage=storage))
    finally:
        await outer.rollback()
    return result, storage
