"""Idempotency keys: the small interface between the GraphQL plumbing, which makes every
creating mutation replayable with one decorator (app.api.idempotency), and the slice that
keeps the keys (accounts: a key is its user's). app.root hands the one to the other.

The protocol (what the store promises):

- `recall` reads what a key was first used for, or None when the key is new.
- `arm` marks the session: the next transaction that commits a row of one of `claim.creates`
  writes the key in that same transaction, pointing at those rows. A crash therefore leaves
  either the effect and its key, or neither; two concurrent retries with one key both run, and
  the second one's commit fails on the key's primary key (it waits for the first to end) and
  rolls back its whole effect: `is_key_clash` recognises that failure, and the caller replays.
- `disarm` ends the mark (whatever happened).
- `rows` loads the rows a recorded key points at, in their order (None when one is gone).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

# A key names one attempt of one client; 128 characters leave room for a UUID with a prefix.
MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class Claim:
    user_id: uuid.UUID
    key: str
    operation: str
    fingerprint: str
    creates: tuple[type[Any], ...]


@dataclass(frozen=True)
class Recorded:
    operation: str
    fingerprint: str
    results: tuple[tuple[str, uuid.UUID], ...]


class KeyStore(Protocol):
    async def recall(
        self, db: AsyncSession, *, user_id: uuid.UUID, key: str
    ) -> Recorded | None: ...

    def arm(self, db: AsyncSession, claim: Claim) -> None: ...

    def disarm(self, db: AsyncSession) -> None: ...

    async def rows(
        self, db: AsyncSession, recorded: Recorded, creates: tuple[type[Any], ...]
    ) -> list[Any] | None: ...

    def is_key_clash(self, error: BaseException) -> bool: ...


# An execution option naming the rows a statement inserts that an ORM flush would not report
# (a multi-table INSERT of data-modifying CTEs): [(model, [id, ...]), ...] in creation order.
# The key store notes those of a claim's `creates` as it notes flushed rows.
INSERTED_ROWS = "seddel_inserted_rows"
