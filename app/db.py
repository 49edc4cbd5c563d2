"""Engine, sessions, the declarative base and tenant scoping (the first and second wall)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import uuid_utils
from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, SessionTransaction, mapped_column
from sqlalchemy.sql.cache_key import CacheKey
from sqlalchemy.types import TypeDecorator

from app.core.actor import Actor
from app.core.events import dispatch_committed

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

T = TypeVar("T")

# Session.info keys that carry the tenant scope into every transaction.
TENANT_IDS = "seddel.institution_ids"
TENANT_USER = "seddel.user_id"
# Session.info key: the open transaction wrote something a read must keep (the session's
# throttled last-use touch), so the request ends in COMMIT instead of ROLLBACK.
KEEP_ON_END = "seddel.keep_on_end"
# A pooled connection older than this is replaced at checkout (instead of a ping per
# checkout): below the idle limits of the usual proxies and load balancers.
POOL_RECYCLE_SECONDS = 1800


def new_id() -> uuid.UUID:
    """A time-ordered UUID (v7): keys that index well and sort by creation."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:  # keyset cursors parse values by column type
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantOwned:
    """Marks a table scoped by institution. What the RLS catalogue test checks is the
    institution_id column itself (app.root.models.tenant_tables), so no table can slip by."""


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url)
        _sqlite_pragmas(engine)
        return engine
    # No pre-ping: it would cost a round trip per checkout. Old connections are recycled, a
    # connection found dead invalidates the pool, and a request's first statement is retried
    # once on a fresh connection (RequestSession).
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=POOL_RECYCLE_SECONDS
    )


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy drive BEGIN itself so that SAVEPOINTs (tests) work on pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


class RequestSession(AsyncSession):
    """One request's session. Strawberry resolves sibling fields concurrently and an
    AsyncSession must never run two statements at once, so each call holds a lock.
    (scalars goes through execute; scalar calls the sync session directly, so it is guarded
    on its own. Guarding both would take the lock twice and wait forever.)

    Calls are shielded from cancellation: when one field fails, graphql-core cancels its
    siblings, and a query cut off mid-flight would leave the connection unusable.

    The pool does not ping a connection at checkout; a statement that begins a transaction
    on a connection the server has dropped (a restart, a failover, pg_terminate_backend) is
    run once more on a fresh one: nothing of that transaction existed yet (and nothing was
    waiting to be flushed into it), so the retry is safe for reads and writes alike."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = asyncio.Lock()

    async def _guarded(self, call: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        async def run() -> Any:
            async with self._lock:
                return await call(*args, **kwargs)

        return await asyncio.shield(run())

    async def _statement(
        self, call: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> Any:
        async def run() -> Any:
            async with self._lock:
                first = not (self.in_transaction() or self.new or self.dirty or self.deleted)
                try:
                    return await call(*args, **kwargs)
                except DBAPIError as error:
                    if not (first and error.connection_invalidated):
                        raise
                await super(RequestSession, self).rollback()
                return await call(*args, **kwargs)

        return await asyncio.shield(run())

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await self._statement(super().execute, *args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return await self._statement(super().scalar, *args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await self._statement(super().get, *args, **kwargs)

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        await self._guarded(super().flush, *args, **kwargs)

    async def commit(self) -> None:
        await self._guarded(super().commit)
        await dispatch_committed(self)

    async def rollback(self) -> None:
        await self._guarded(super().rollback)

    async def refresh(self, *args: Any, **kwargs: Any) -> None:
        await self._guarded(super().refresh, *args, **kwargs)

    async def close(self) -> None:
        await self._guarded(super().close)


class _HashedOnce:
    """A statement's cache key with its hash computed once (see `key_hashed_once`)."""

    __slots__ = ("hash", "key")

    def __init__(self, key: tuple[Any, ...]) -> None:
        self.key = key
        self.hash = hash(key)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, _HashedOnce) and self.key == other.key)


def key_hashed_once(statement: T) -> T:
    """`statement`, whose key in SQLAlchemy's compiled cache is hashed once instead of on every
    execution. SQLAlchemy keeps a statement's cache key (a tuple of the whole expression tree)
    but Python does not keep a tuple's hash: a reused statement of a compiled document (some
    thousand nodes) paid ~0.2 ms per execution hashing it to find its compiled SQL. The key
    stays equal to itself and to the same statement's key built again; its bound parameters
    (the values of an execution) are SQLAlchemy's own."""
    cache_key = statement._generate_cache_key()  # type: ignore[attr-defined]
    if cache_key is None:
        return statement  # not cacheable: compiled per execution anyway
    hashed = CacheKey((_HashedOnce(cache_key.key),), cache_key.bindparams)
    # What SQLAlchemy's memoized _generate_cache_key stores after its first call.
    statement._set_memoized_attribute("_generate_cache_key", lambda: hashed)  # type: ignore[attr-defined]
    return statement


def session_factory(bind: AsyncEngine | Any, **kwargs: Any) -> async_sessionmaker[RequestSession]:
    return async_sessionmaker(bind=bind, class_=RequestSession, expire_on_commit=False, **kwargs)


def scope(
    session: AsyncSession, *, institution_ids: Iterable[uuid.UUID], user_id: uuid.UUID | None
) -> None:
    """Set the tenants this session may touch; applied to every transaction it begins."""
    session.info[TENANT_IDS] = frozenset(institution_ids)
    session.info[TENANT_USER] = user_id


async def rescope(
    session: AsyncSession, *, institution_ids: Iterable[uuid.UUID], user_id: uuid.UUID | None
) -> None:
    """Change the scope, including inside the transaction that is already open (no statement
    when it is the scope already in force)."""
    ids = frozenset(institution_ids)
    if session.info.get(TENANT_IDS) == ids and session.info.get(TENANT_USER, "") == user_id:
        return
    scope(session, institution_ids=ids, user_id=user_id)
    if session.in_transaction():
        connection = await session.connection()
        await connection.run_sync(lambda sync_conn: _apply_scope(session.sync_session, sync_conn))


async def scope_to(session: AsyncSession, actor: Actor) -> None:
    """A request's tenant scope, set once it knows who asks: exactly the actor's tenants
    (`Actor.tenant_ids`, the institutions its visibility rules are about), for every
    transaction the request runs from now on, the open one included."""
    await rescope(session, institution_ids=actor.tenant_ids, user_id=actor.user_id)


def _apply_scope(session: Session, connection: Connection) -> None:
    if connection.dialect.name != "postgresql" or TENANT_IDS not in session.info:
        # Never scoped: the transaction-local settings are unset, which the policies read as
        # no tenant and no user (a new request's transaction is scoped by its sign-in).
        return
    ids = session.info.get(TENANT_IDS, frozenset())
    user_id = session.info.get(TENANT_USER)
    # is_local=true: the setting ends with the transaction, so a pooled connection
    # never carries one request's tenants into the next.
    connection.execute(
        text(
            "SELECT set_config('seddel.institution_ids', :ids, true),"
            " set_config('seddel.user_id', :user_id, true)"
        ),
        {"ids": ",".join(sorted(str(i) for i in ids)), "user_id": str(user_id or "")},
    )


@event.listens_for(Session, "after_begin")
def _scope_new_transaction(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    _apply_scope(session, connection)


def keep_on_end(session: AsyncSession) -> None:
    """The open transaction holds a write that a read request must keep (app.db.end_request)."""
    session.info[KEEP_ON_END] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_keep_on_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(KEEP_ON_END, None)


async def end_request(session: AsyncSession) -> None:
    """The end of a request's transaction: a read rolls back (it wrote nothing to keep),
    unless the transaction noted a write to keep (`keep_on_end`: the session's last use)."""
    if not session.in_transaction():
        return
    if session.info.get(KEEP_ON_END):
        await session.commit()
    else:
        await session.rollback()


async def end_read_transaction(session: AsyncSession) -> None:
    """End a long-lived reader's transaction (a subscription between events): an idle
    subscriber holds no connection, and its next read sees what was committed since, also
    on SQLite, whose open read transaction would keep its old snapshot. (It commits rather
    than rolls back: a rollback would expire the rows the subscription still holds.)"""
    if session.in_transaction():
        await session.commit()


@asynccontextmanager
async def write_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A mutation's transaction: commits on success, rolls back on any error.

    On PostgreSQL it is the request's own transaction when one is open (the sign-in, the
    reads before the mutation): no second BEGIN, and the tenant scope the sign-in set is in
    force. After it ends, the next transaction is scoped again from Session.info
    (`_scope_new_transaction`). SQLite ends an open read transaction first: its snapshot
    could not be turned into a write once another connection has written since."""
    if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        await session.commit()
    if not session.in_transaction():
        await session.begin()
    try:
        yield session
        await session.commit()
    except BaseException:
        if session.in_transaction():
            await session.rollback()
        raise
    # Only after the commit: a rolled-back transaction publishes nothing (app.core.events).
    await dispatch_committed(session)
