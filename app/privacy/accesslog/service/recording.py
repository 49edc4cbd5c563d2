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
nothing for it and many fields of one request merge into one (child, kind) set. `flush`,
called once by the request's end (app.root.graphql), writes them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, case, insert, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.logs import request_id_var
from app.db import keep_on_end, new_id, utcnow
from app.institutions.models import Child
from app.privacy.accesslog.models import AccessKind, AccessLogEntry

# Session.info key: the reads of child data this request made, written at its end.
PENDING = "seddel.access_log"


@dataclass
class PendingReads:
    actor: Actor
    operation: str
    kinds: dict[AccessKind, set[uuid.UUID]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.kinds.values())


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
    pending: PendingReads | None = db.info.get(PENDING)
    if pending is None or pending.actor is not actor:
        # A websocket runs several operations on one session: each has its own actor.
        pending = db.info[PENDING] = PendingReads(actor=actor, operation=operation)
    pending.kinds.setdefault(kind, set()).update(logged)


def discard(db: AsyncSession) -> None:
    """Forget what was noted (the log is switched off)."""
    db.info.pop(PENDING, None)


async def flush(db: AsyncSession) -> int:
    """Write the request's noted reads in one INSERT ... SELECT into the open transaction and
    mark it to be kept (app.db.end_request then commits). Returns the rows noted."""
    pending: PendingReads | None = db.info.pop(PENDING, None)
    if not pending:
        return 0
    if db.in_transaction() and db.get_bind().dialect.name == "sqlite":
        # SQLite cannot turn a read snapshot into a write once another connection wrote
        # since: end the read (it wrote nothing) and write in a transaction of its own.
        await db.commit()
    actor = pending.actor
    at = utcnow()
    request_key = new_id()
    rows = union_all(
        *(
            select(
                literal(kind.value).label("kind"),
                Child.id.label("child_id"),
                Child.institution_id.label("institution_id"),
                _role(actor).label("role"),
            ).where(Child.id.in_(sorted(children)))
            for kind, children in sorted(pending.kinds.items())
            if children
        )
    ).subquery()
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
            literal(request_key, AccessLogEntry.request_key.type),
            rows.c.child_id,
            rows.c.kind,
            rows.c.institution_id,
            literal(actor.user_id, AccessLogEntry.user_id.type),
            rows.c.role,
            literal(actor.device_id, AccessLogEntry.device_id.type),
            literal(pending.operation[:100]),
            literal(request_id_var.get()[:100]),
        ),
    )
    await db.execute(statement)
    keep_on_end(db)
    return sum(len(children) for children in pending.kinds.values())


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
