"""Recording who read a child's data.

Decision: the rows are written in the request's own transaction, at its end, in ONE
statement, and that transaction then COMMITs instead of rolling back. Why not a batch after
the request: the root's context getter ends the transaction before Litestar sends the
response (a dependency's clean-up runs before the response starts), so an answer that carried
a child's data has always left a committed log row behind it. If the process dies before the
commit, the client got nothing either; there is no window in which data left and its row did
not, and no queue in memory to lose when the process is killed (tests/privacy/
test_access_log_durability.py kills a server with SIGKILL right after a read). The price is
one INSERT per request that read child data (the budget: one statement) and a COMMIT where a
read would have rolled back.

Resolvers (and compiled trusted documents) call `record_access` with the children whose data
they return: it only notes them on the session (no statement, no await), so a resolver pays
nothing for it and many fields of one request merge into one (child, kind) set. Where the
answer knows its rows but not their children (a thread is about the children of
message_thread_children, which the inbox does not read), `record_access_through` notes the
rows and the link table instead: the one INSERT finds their children itself, so that costs no
statement either. `flush`, called once by the request's end (app.root.graphql for HTTP, after
each result a websocket sends, app.rest.auth for REST), writes them.

The child's own guardians are left out by id in Python (`record_access`) or in the INSERT's
SELECT (`record_access_through`): the same rule either way."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    false,
    insert,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.actor import Actor
from app.core.logs import request_id_var
from app.db import keep_on_end, new_id, utcnow
from app.institutions.models import Child
from app.privacy.accesslog.models import AccessKind, AccessLogEntry

# Session.info key: the reads of child data this request made, written at its end.
PENDING = "seddel.access_log"


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
    if db.in_transaction() and db.get_bind().dialect.name == "sqlite":
        # SQLite cannot turn a read snapshot into a write once another connection wrote
        # since: end the read (it wrote nothing) and write in a transaction of its own.
        await db.commit()
    at = utcnow()
    selects = [one for pending in noted for one in _rows(pending)]
    rows = (union_all(*selects) if len(selects) > 1 else selects[0]).subquery()
    statement = insert(AccessLogEntry).from_select(
        [
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
        ],
        select(
            literal(at, AccessLogEntry.accessed_at.type),
            rows.c.request_key,
            rows.c.child_id,
            rows.c.kind,
            rows.c.institution_id,
            rows.c.user_id,
            rows.c.role,
            rows.c.device_id,
            rows.c.operation,
            literal(request_id_var.get()[:100]),
        ),
    )
    await db.execute(statement)
    keep_on_end(db)
    return sum(
        sum(map(len, pending.kinds.values())) + sum(map(len, pending.through.values()))
        for pending in noted
    )


def _rows(pending: PendingReads) -> list[Select[Any]]:
    """One SELECT per (actor, kind): each child once, whether named or found through a link."""
    actor = pending.actor
    request_key = new_id()
    own = sorted(actor.children)
    selects = []
    for kind in pending.kinds_noted():
        named = sorted(pending.kinds.get(kind, ()))
        linked = [
            Child.id.in_(
                select(child)
                .where(key.in_(sorted(keys)))
                .where(child.not_in(own) if own else true())
            )
            for (noted_kind, (child, key)), keys in sorted(
                pending.through.items(), key=lambda item: str(item[0][1])
            )
            if noted_kind == kind and keys
        ]
        selects.append(
            select(
                literal(request_key, AccessLogEntry.request_key.type).label("request_key"),
                literal(kind.value).label("kind"),
                Child.id.label("child_id"),
                Child.institution_id.label("institution_id"),
                literal(actor.user_id, AccessLogEntry.user_id.type).label("user_id"),
                _role(actor).label("role"),
                literal(actor.device_id, AccessLogEntry.device_id.type).label("device_id"),
                literal(pending.operation[:100]).label("operation"),
            ).where(or_(Child.id.in_(named) if named else false(), *linked))
        )
    return selects


def _role(actor: Actor) -> ColumnElement[str]:
    """The actor's role in the child's institution, as of this request."""
    if actor.is_bare_device and actor.device is not None:
        return literal(actor.device.role.upper())
    roles = [
        (actor.admin_of, "ADMIN"),
        (actor.staff_of, "STAFF"),
        (actor.municipality_institutions, "MUNICIPALITY_ADMIN"),
    ]
    held = [(ids, name) for ids, name in roles if ids]
    if not held:
        # A guardian reading another family's child (a shared photo, an album): no CASE
        # without a WHEN, which PostgreSQL refuses.
        return literal("GUARDIAN" if actor.children else "OTHER")
    if len(held) == 1:
        return literal(held[0][1])
    return case(
        *((Child.institution_id.in_(sorted(ids)), literal(name)) for ids, name in held),
        else_=literal("OTHER"),
    )
