"""Recording who read a child's data.

Decision: the rows are written in the request's own transaction, at its end, in ONE
statement, and that transaction then COMMITs instead of rolling back. Why not a batch after
the request: the root's context getter ends the transaction before Litestar sends the
response (a dependency's clean-up runs before the response starts), so an answer that carried
a child's data has always left a committed log row behind it. If the process dies before the
commit, the client got nothing either; there is no window in which data left and its row did
not, and no queue in memory to lose when the process is killed (tests/privacy/
test_access_log.py and tests/api/test_compiled_access_log.py: where the rows cannot be written
or committed, the data is not sent). The price is one INSERT per request that read child data
(the budget: one statement; none for a compiled document, whose statement writes them) and a
COMMIT where a read would have rolled back.

Resolvers (and compiled trusted documents) call `record_access` with the children whose data
they return: it only notes them on the session (no statement, no await), so a resolver pays
nothing for it and many fields of one request merge into one (child, kind) set. Where the
answer knows its rows but not their children (a thread is about the children of
message_thread_children, which the inbox does not read), `record_access_through` notes the
rows and the link table instead: the one INSERT finds their children itself, so that costs no
statement either. `flush`, called once by the request's end (app.root.graphql for HTTP, after
each result a websocket sends, app.rest.auth for REST), writes them.

A compiled trusted document (app/api/compiled.py) does better still: its one statement carries
the INSERT as a data-modifying CTE (`logging_in_statement`), so its log costs no statement and no
round trip of its own; `written_in_statement` then marks the transaction to be kept when the
statement wrote any row (a read that wrote none rolls back, as any read does). Such a
transaction holds only that read, its log rows and at most the session's last-use touch, so it
commits asynchronously (`synchronous_commit` off for it alone): the COMMIT returns once the rows
are in PostgreSQL's WAL buffers, not after the disk flush, which on a shared disk was the larger
part of the log's cost (measured: 25 rows with a synchronous commit 2.8 ms, asynchronous 0.64
ms, on the loaded machine). What that gives up: our process dying loses nothing (the rows are
committed before the answer leaves); only a crash of the PostgreSQL server itself can lose the
last moments of such commits (at most three `wal_writer_delay`s, 0.6 s by default), the same
window as writing the log in a batch after the response, which the issue allows. Writes of
data never commit this way, nor does `flush`, whose transaction can hold them.

The child's own guardians are left out by id in Python (`record_access`) or in the INSERT's
SELECT (`record_access_through`): the same rule either way."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    String,
    Table,
    Uuid,
    any_,
    bindparam,
    case,
    false,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.actor import Actor
from app.core.logs import request_id_var
from app.core.shapes import bound, per_request
from app.db import keep_on_end, new_id, utcnow
from app.institutions.models import Child
from app.privacy.accesslog.models import AccessKind, AccessLogEntry

# Session.info key: the reads of child data this request made, written at its end.
PENDING = "seddel.access_log"

# The columns every INSERT of the log writes, in the order of its SELECT's.
_COLUMNS = [
    "accessed_at",
    "request_key",
    "child_id",
    "kind",
    "institution_id",
    "user_id",
    "role",
    "device_id",
    "operation",
    "request_id",
]


# (the link's child column, the link's key column): the rows a read returned are keys of it.
Column = ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID]
Through = tuple[Column, Column]


@dataclass
class PendingReads:
    actor: Actor
    operation: str
    kinds: dict[AccessKind, set[uuid.UUID]] = field(default_factory=dict)
    through: dict[tuple[AccessKind, Through], set[uuid.UUID]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.kinds.values()) or any(self.through.values())

    def kinds_noted(self) -> list[AccessKind]:
        return sorted(
            {k for k, children in self.kinds.items() if children}
            | {k for (k, _), keys in self.through.items() if keys}
        )


def _pending(db: AsyncSession, actor: Actor, operation: str) -> PendingReads:
    """This actor's notes on the session. A websocket runs several operations on one session,
    each with its own actor (subscriptions at once, too): each keeps its own notes, and one
    INSERT writes them all."""
    noted: list[PendingReads] = db.info.setdefault(PENDING, [])
    for pending in noted:
        if pending.actor is actor:
            return pending
    pending = PendingReads(actor=actor, operation=operation)
    noted.append(pending)
    return pending


def record_access(
    db: AsyncSession,
    actor: Actor,
    *,
    child_ids: Iterable[uuid.UUID],
    kind: AccessKind,
    operation: str,
) -> None:
    """Note that `actor` read `kind` of these children's data (written by `flush`). The
    child's own guardians read without a trace; everyone else is logged. Call it with the
    children whose data the answer holds, after visibility decided (a refused read has
    nothing to log)."""
    own = actor.children
    logged = {child for child in child_ids if child not in own}
    if not logged:
        return
    _pending(db, actor, operation).kinds.setdefault(kind, set()).update(logged)


def record_access_through(
    db: AsyncSession,
    actor: Actor,
    *,
    keys: Iterable[uuid.UUID],
    child: Column,
    key: Column,
    kind: AccessKind,
    operation: str,
) -> None:
    """Note that `actor` read `kind` of the children that a link table (`child`, `key`: e.g.
    message_thread_children's child_id and thread_id) ties to these rows. No statement: the
    request's one INSERT selects the children (a row about no child leaves none)."""
    keys = set(keys)
    if not keys:
        return
    pending = _pending(db, actor, operation)
    pending.through.setdefault((kind, (child, key)), set()).update(keys)


def insert_in_statement(
    actor: Actor, reads: Iterable[tuple[AccessKind, Select[Any]]], *, operation: str
) -> CTE:
    """The INSERT of a compiled statement's reads, as a data-modifying CTE for that statement's
    `add_cte`: each read is a kind and a SELECT of (child_id, institution_id) of the children
    whose data of that kind the answer holds, over the statement's own CTEs. The same rows as
    `record_access` and `flush` write: one per (child, kind), the child's own guardians left
    out, the role as of this request. `actor` may be a ShapedActor (app.core.shapes): its
    values and the request's (time, request id, key) are then parameters bound per request."""
    table = cast(Table, AccessLogEntry.__table__)
    kinds = [read.add_columns(literal(kind.value, String()).label("kind")) for kind, read in reads]
    rows = (union_all(*kinds) if len(kinds) > 1 else kinds[0]).subquery("logged_reads")
    own = actor.guardian_of
    values = select(
        per_request(actor, "access_log_at", utcnow, AccessLogEntry.accessed_at.type),
        per_request(actor, "access_log_key", new_id, AccessLogEntry.request_key.type),
        rows.c.child_id,
        rows.c.kind,
        rows.c.institution_id,
        bound(actor.user_id, AccessLogEntry.user_id.type),
        _role(actor, rows.c.institution_id, lambda column, _, ids: column.in_(ids)),
        bound(actor.device_id, AccessLogEntry.device_id.type),
        literal(operation[:100], String()),
        per_request(actor, "request_id", lambda: request_id_var.get()[:100], String()),
    ).where(rows.c.child_id.not_in(own) if own else true(), _commit_without_waiting_for_disk())
    written = insert(table).from_select(_COLUMNS, values).returning(table.c.child_id)
    return written.cte("access_log_written")


def logging_in_statement(
    statement: Select[Any],
    actor: Actor,
    reads: Iterable[tuple[AccessKind, Select[Any]]],
    *,
    operation: str,
) -> Select[Any]:
    """`statement` (one row, the answer first) writing its reads' rows itself
    (`insert_in_statement`), with how many it wrote as its next column, which
    `written_in_statement` is given."""
    written = insert_in_statement(actor, reads, operation=operation)
    count = select(func.count()).select_from(written).scalar_subquery()
    return statement.add_columns(count.label("access_log_rows")).add_cte(written)


def _commit_without_waiting_for_disk() -> ColumnElement[bool]:
    """The transaction's COMMIT does not wait for the WAL flush (see the module); once per
    statement (a one-time filter)."""
    relax = select(func.set_config("synchronous_commit", "off", true())).scalar_subquery()
    return relax.is_not(None)


def written_in_statement(db: AsyncSession, columns: Sequence[Any]) -> None:
    """After a compiled statement, given its columns after the answer: when it wrote this
    request's log rows (`logging_in_statement`'s count, the first of them, above 0), the
    request's transaction commits at its end instead of rolling back. A read that wrote none
    (the child's own guardian) or logged nothing (the log is off) still rolls back."""
    if columns and columns[0]:
        keep_on_end(db)


def discard(db: AsyncSession) -> None:
    """Forget what was noted (the log is switched off)."""
    db.info.pop(PENDING, None)


async def flush(db: AsyncSession) -> int:
    """Write the request's noted reads in one INSERT ... SELECT into the open transaction and
    mark it to be kept (app.db.end_request then commits). Returns how many reads were noted
    (children by id and rows through a link; 0: nothing was written)."""
    noted: list[PendingReads] = [p for p in db.info.pop(PENDING, None) or [] if p]
    if not noted:
        return 0
    dialect = db.get_bind().dialect.name
    if db.in_transaction() and dialect == "sqlite":
        # SQLite cannot turn a read snapshot into a write once another connection wrote
        # since: end the read (it wrote nothing) and write in a transaction of its own.
        await db.commit()
    values: dict[str, Any] = {"at": utcnow(), "request_id": request_id_var.get()[:100]}
    for n, pending in enumerate(noted):
        _bind(pending, n, values)
    shape = (dialect, *(_shape(pending) for pending in noted))
    built = _BUILT.get(shape)
    if built is None:
        names: dict[str, Any] = {"at": None, "request_id": None}
        built = _statement(noted, _Binder(dialect == "postgresql", names)), frozenset(names)
        if len(_BUILT) < MAX_SHAPES:
            _BUILT[shape] = built
    statement, names_used = built
    if values.keys() != names_used:  # `_bind` and `_rows` name the same parameters
        raise RuntimeError(f"access log parameters: {sorted(values)} vs {sorted(names_used)}")
    await db.execute(statement, values)
    keep_on_end(db)
    return sum(
        sum(map(len, pending.kinds.values())) + sum(map(len, pending.through.values()))
        for pending in noted
    )


# The INSERT of each shape of request (which kinds, which links, which roles the actor holds;
# see `_shape`), built once and run with the request's values bound: no statement to build and
# no cache key to compute per request, and on PostgreSQL one text whatever the number of
# children (ids go in as arrays), so asyncpg's prepared statement serves the next request.
_BUILT: dict[Hashable, tuple[Any, frozenset[str]]] = {}
MAX_SHAPES = 256


@dataclass
class _Binder:
    """Names the parameters of a build and, when given a dict, collects their values."""

    arrays: bool
    values: dict[str, Any]

    def value(self, name: str, value: Any, type_: Any = None) -> Any:
        self.values[name] = value
        return bindparam(name, type_=type_)

    def among(self, column: Column, name: str, ids: Iterable[uuid.UUID]) -> ColumnElement[bool]:
        """`column` is one of `ids`: `= ANY(array)` on PostgreSQL, an expanding IN elsewhere."""
        self.values[name] = sorted(ids)
        if self.arrays:
            return column == any_(bindparam(name, type_=ARRAY(Uuid)))
        return column.in_(bindparam(name, expanding=True))


def _shape(pending: PendingReads) -> Hashable:
    actor = pending.actor
    return (
        tuple(
            (
                bool(pending.kinds.get(kind)),
                tuple(link for (k, link), keys in _links(pending) if k == kind and keys),
            )
            for kind in pending.kinds_noted()
        ),
        bool(actor.children),
        _role_shape(actor),
    )


def _links(pending: PendingReads) -> list[tuple[tuple[AccessKind, Through], set[uuid.UUID]]]:
    return sorted(pending.through.items(), key=lambda item: (item[0][0], str(item[0][1])))


def _statement(noted: list[PendingReads], binder: _Binder) -> Any:
    selects = [one for n, pending in enumerate(noted) for one in _rows(pending, n, binder)]
    rows = (union_all(*selects) if len(selects) > 1 else selects[0]).subquery()
    # The table, not the entity: with a dict of values, an ORM insert would be a bulk insert.
    return insert(cast(Table, AccessLogEntry.__table__)).from_select(
        _COLUMNS,
        select(
            bindparam("at", type_=AccessLogEntry.accessed_at.type),
            rows.c.request_key,
            rows.c.child_id,
            rows.c.kind,
            rows.c.institution_id,
            rows.c.user_id,
            rows.c.role,
            rows.c.device_id,
            rows.c.operation,
            bindparam("request_id", type_=String()),
        ),
    )


def _bind(pending: PendingReads, n: int, values: dict[str, Any]) -> None:
    """The values of `_rows`' parameters for this request: the same names, without building
    anything (`flush` checks that the names agree)."""
    actor = pending.actor
    p = f"a{n}_"
    values[p + "request_key"] = new_id()
    values[p + "user_id"] = actor.user_id
    values[p + "device_id"] = actor.device_id
    values[p + "operation"] = pending.operation[:100]
    if _fixed_role(actor) is None:
        for ids, name in _held(actor):
            values[f"{p}role_{name}"] = sorted(ids)
    own_bound: set[Through] = set()
    for k, kind in enumerate(pending.kinds_noted()):
        values[f"{p}kind_{k}"] = kind.value
        named = pending.kinds.get(kind)
        if named:
            values[f"{p}named_{k}"] = sorted(named)
        for j, ((noted_kind, link), keys) in enumerate(_links(pending)):
            if noted_kind != kind or not keys:
                continue
            if actor.children and link not in own_bound:
                own_bound.add(link)
                values[f"{p}own_{k}_{j}"] = sorted(actor.children)
            values[f"{p}keys_{k}_{j}"] = sorted(keys)


def _rows(pending: PendingReads, n: int, binder: _Binder) -> list[Select[Any]]:
    """One SELECT per (actor, kind): each child once, whether named or found through a link.
    Every value is a named parameter (`a<n>_…`), so the same build serves every request of its
    shape."""
    actor = pending.actor
    p = f"a{n}_"
    own_link: dict[Through, Any] = {}
    selects = []
    request_key = binder.value(p + "request_key", new_id(), AccessLogEntry.request_key.type)
    user_id = binder.value(p + "user_id", actor.user_id, AccessLogEntry.user_id.type)
    device_id = binder.value(p + "device_id", actor.device_id, AccessLogEntry.device_id.type)
    operation = binder.value(p + "operation", pending.operation[:100], String())
    role = _role(
        actor,
        Child.institution_id,
        lambda column, name, ids: binder.among(column, f"{p}role_{name}", ids),
    )
    for k, kind in enumerate(pending.kinds_noted()):
        named = pending.kinds.get(kind)
        linked = []
        for j, ((noted_kind, link), keys) in enumerate(_links(pending)):
            if noted_kind != kind or not keys:
                continue
            child, key = link
            if actor.children and link not in own_link:
                own_link[link] = binder.among(child, f"{p}own_{k}_{j}", actor.children)
            linked.append(
                Child.id.in_(
                    select(child)
                    .where(binder.among(key, f"{p}keys_{k}_{j}", keys))
                    .where(not_(own_link[link]) if actor.children else true())
                )
            )
        selects.append(
            select(
                request_key.label("request_key"),
                binder.value(f"{p}kind_{k}", kind.value, String()).label("kind"),
                Child.id.label("child_id"),
                Child.institution_id.label("institution_id"),
                user_id.label("user_id"),
                role.label("role"),
                device_id.label("device_id"),
                operation.label("operation"),
            ).where(
                or_(
                    binder.among(Child.id, f"{p}named_{k}", named) if named else false(),
                    *linked,
                )
            )
        )
    return selects


def _role_shape(actor: Actor) -> Hashable:
    return _fixed_role(actor) or tuple(bool(ids) for ids, _ in _held_roles(actor))


def _held_roles(actor: Actor) -> list[tuple[Iterable[uuid.UUID], str]]:
    return [
        (actor.admin_of, "ADMIN"),
        (actor.staff_of, "STAFF"),
        (actor.municipality_institutions, "MUNICIPALITY_ADMIN"),
    ]


def _held(actor: Actor) -> list[tuple[Iterable[uuid.UUID], str]]:
    return [(ids, name) for ids, name in _held_roles(actor) if ids]


def _fixed_role(actor: Actor) -> str | None:
    """The actor's role when it is the same in every institution (a device, a guardian, one
    kind of membership); None when it depends on the child's institution. Works on a
    ShapedActor too: only the sets' emptiness is looked at."""
    if actor.is_bare_device and actor.device is not None:
        return actor.device.role.upper()
    held = _held(actor)
    if not held:
        # A guardian reading another family's child (a shared photo, an album).
        return "GUARDIAN" if actor.guardian_of else "OTHER"
    return held[0][1] if len(held) == 1 else None


Among = Callable[[ColumnElement[uuid.UUID], str, Iterable[uuid.UUID]], ColumnElement[bool]]


def _role(actor: Actor, institution_id: Any, among: Among) -> ColumnElement[str]:
    """The actor's role in the child's institution, as of this request: a constant, or a CASE
    over the institutions of each membership (`among` says how a set is written in SQL)."""
    fixed = _fixed_role(actor)
    if fixed is not None:
        return literal(fixed, String())
    held = _held(actor)
    whens = [(among(institution_id, name, ids), literal(name, String())) for ids, name in held]
    return case(*whens, else_=literal("OTHER", String()))
