"""Domain events: a use case says what happened; other slices react without being imported.

A service calls `await record(db, SomethingHappened(...))` inside its transaction. Two kinds
of handler, registered by the slices that care (in their own service modules):

- `@on(SomethingHappened)`: runs at once, in the same transaction, so its writes commit or
  roll back with the use case (a guardian's reach changed → messaging ends participation).
- `@after_commit(SomethingHappened)`: runs once the transaction has committed (broker
  publications, anything outside the database), as Zulip's `send_event_on_commit` does.
  A rolled-back transaction runs none of them; a failing one is logged, never raised, since
  what it reports is already committed.

After-commit handlers receive the event and what lies outside the database (`Outside`: the
broker, the storage, the settings: the server's Runtime or a worker's JobContext), which
`bind_sessions` gives every session of a factory. `app.db` dispatches after each commit it
makes (`write_transaction`, `RequestSession.commit`); the session's own commit and rollback
hooks decide which events are due."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from app.config import Settings
    from app.realtime import Broker
    from app.storage import ObjectStorage

log = logging.getLogger("seddel.events")

PENDING = "seddel.events.pending"  # recorded in the open transaction
COMMITTED = "seddel.events.committed"  # committed, after-commit handlers not yet run
OUTSIDE = "seddel.outside"  # what after-commit handlers reach: broker, storage, settings


class Outside(Protocol):
    """What lies outside the database, for after-commit handlers."""

    @property
    def broker(self) -> Broker: ...

    @property
    def storage(self) -> ObjectStorage: ...

    @property
    def settings(self) -> Settings: ...


@dataclass(frozen=True)
class DomainEvent:
    """Base of every event: a frozen dataclass of IDs and small values, never rows."""


E = TypeVar("E", bound=DomainEvent)
InTransaction = Callable[[AsyncSession, Any], Awaitable[None]]
AfterCommit = Callable[[Any, Outside], Awaitable[None]]

_in_transaction: dict[type[DomainEvent], list[InTransaction]] = defaultdict(list)
_after_commit: dict[type[DomainEvent], list[AfterCommit]] = defaultdict(list)


def on(event_type: type[E]) -> Callable[[Callable[[AsyncSession, E], Awaitable[None]]], Any]:
    """Register a handler that runs inside the recording transaction."""

    def register(handler: Callable[[AsyncSession, E], Awaitable[None]]) -> Any:
        if handler not in _in_transaction[event_type]:
            _in_transaction[event_type].append(handler)
        return handler

    return register


def after_commit(event_type: type[E]) -> Callable[[Callable[[E, Outside], Awaitable[None]]], Any]:
    """Register a handler that runs after the recording transaction committed."""

    def register(handler: Callable[[E, Outside], Awaitable[None]]) -> Any:
        if handler not in _after_commit[event_type]:
            _after_commit[event_type].append(handler)
        return handler

    return register


def bind_sessions(sessions: async_sessionmaker[Any], outside: Outside) -> None:
    """Every session the factory makes hands `outside` to its after-commit handlers."""
    sessions.configure(info={OUTSIDE: outside})


async def record(db: AsyncSession, happened: DomainEvent) -> None:
    """Say what happened in the open transaction: in-transaction handlers run now; the
    after-commit ones when (and only if) it commits."""
    if not db.in_transaction():
        raise RuntimeError(f"{type(happened).__name__} recorded outside a transaction")
    for handler in list(_in_transaction.get(type(happened), ())):
        await handler(db, happened)
    if _after_commit.get(type(happened)):
        db.sync_session.info.setdefault(PENDING, []).append(happened)


async def dispatch_committed(db: AsyncSession) -> None:
    """Run the after-commit handlers of every event whose transaction has committed."""
    info = db.sync_session.info
    due: list[DomainEvent] = info.pop(COMMITTED, [])
    if not due:
        return
    outside: Outside | None = info.get(OUTSIDE)
    if outside is None:
        log.debug("no broker bound: %d committed events not dispatched", len(due))
        return
    for happened in due:
        for handler in list(_after_commit.get(type(happened), ())):
            try:
                await handler(happened, outside)
            except Exception:
                # Committed already: a lost publication only delays what the apps show.
                log.exception("after-commit handler failed", extra={"event": repr(happened)})


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        session.info.setdefault(COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    # Only the outermost transaction decides; a savepoint's rollback keeps nothing either,
    # but what it recorded is indistinguishable here, so the whole pending list goes only
    # when the session's own transaction rolls back.
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)
