"""Per-request DataLoaders, one per batch function: `context.loaders.get(child_by_id)`.

A slice's loaders.py holds batch functions `(db, actor, keys) -> list aligned with keys`,
each through its type's visibility rule; nothing here names them, so a new loader needs no
registration. Loaders are made lazily: a request pays only for the ones it uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app.core.actor import Actor

K = TypeVar("K")
V = TypeVar("V")
BatchFunction = Callable[[AsyncSession, Actor, Sequence[K]], Awaitable[list[V]]]


class Loaders:
    def __init__(self, db: AsyncSession, actor: Callable[[], Actor]) -> None:
        self._db = db
        self._actor = actor
        self._made: dict[Callable[..., Any], DataLoader[Any, Any]] = {}

    def get(self, batch: BatchFunction[K, V]) -> DataLoader[K, V]:
        """This request's loader over `batch` (the same one for every field that asks)."""
        loader = self._made.get(batch)
        if loader is None:

            async def load(keys: list[K]) -> list[V]:
                return await batch(self._db, self._actor(), keys)

            loader = DataLoader(load_fn=load)
            self._made[batch] = loader
        return loader


T = TypeVar("T")


def later(value: Awaitable[T]) -> T:
    """What a synchronous resolver returns when it must fall back to a loader: graphql-core
    awaits an awaitable a resolver returns. So a field whose value a read model usually holds
    resolves synchronously (no coroutine per field), and only rows without it await."""
    return value  # type: ignore[return-value]
