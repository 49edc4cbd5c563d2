"""Recording writes to a child's data in the audit trail: one generic mechanism, SQLAlchemy
session events, over every model that declares `__audit__` (app.core.audit.Audited).

- ORM writes: `after_flush` reads each flushed audited object's attribute history (new,
  changed, deleted), so a new column or a new write path of an audited model is covered.
- Core statements run on the session (`db.execute(insert(DayEntry), rows)`, `update(...)`,
  `delete(...)`, and the same through the table, `insert(Child.__table__)`, as the roster
  import's bulk path writes): `do_orm_execute` sees them. An INSERT is recorded from its
  parameters; an UPDATE or DELETE first selects the rows its WHERE matches (before) and, for
  an UPDATE, reads them again after (a statement or two more, paid only by such a path: the
  roster import's updates, no GraphQL request path).
- The rows wait on the session, tagged with the (sub)transaction that made them, and are
  written by `before_commit` in ONE executemany INSERT into the same transaction: a rolled-back
  change (or savepoint) drops its rows, a committed one cannot commit without them.

Only a session that carries an audit scope (`begin`: who, which operation, which request) is
audited: every GraphQL request gets one once its actor is known (app.root.context), every REST
route once it signed its caller in (app.rest.auth), and the worker jobs that change a child's
data on their own (the nightly close's estimated check-outs, the yearly move-up) as SYSTEM
(app.ops.jobs, `audited`). Retention is not: its deletions would copy what it erases into the
trail; its runs report what went."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import ClauseElement, event, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, SessionTransaction
from sqlalchemy.orm.attributes import instance_state

from app.core.actor import Actor
from app.core.audit import REDACTED, Audited
from app.core.logs import request_id_var
from app.db import Base, new_id, utcnow
from app.privacy.audit.models import AuditAction, AuditTrailEntry

# Session.info keys: who writes (AuditScope), and the rows waiting for the commit.
SCOPE = "seddel.audit_scope"
PENDING = "seddel.audit_pending"


@dataclass
class AuditScope:
    """Who writes: a person or device (`actor`), or the system (None: a worker job, e.g. the
    yearly move-up applying an admin's plan on its date, role SYSTEM, no user)."""

    actor: Actor | None
    operation: str
    request_id: str


SYSTEM = "SYSTEM"


def audit_as_system(sessions: async_sessionmaker[Any], job: str) -> None:
    """Every session of the factory audits its writes as the worker job `job`'s (SYSTEM)."""
    info = dict(sessions.kw.get("info") or {})
    info[SCOPE] = AuditScope(actor=None, operation=job[:100], request_id=f"worker:{job}"[:100])
    sessions.configure(info=info)


@dataclass
class Pending:
    rows: list[tuple[SessionTransaction | None, dict[str, Any]]] = field(default_factory=list)


def begin(
    db: AsyncSession | Session, *, actor: Actor, operation: str = "", request_id: str | None = None
) -> AuditScope:
    """Audit the writes this session makes from now on, as `actor`'s."""
    request = request_id if request_id is not None else request_id_var.get()
    scope = AuditScope(actor=actor, operation=operation[:100], request_id=request[:100])
    db.info[SCOPE] = scope
    return scope


def name_operation(db: AsyncSession | Session, operation: str) -> None:
    """The operation's name, once known (the scope may have begun before)."""
    scope: AuditScope | None = db.info.get(SCOPE)
    if scope is not None:
        scope.operation = operation[:100]


def end(db: AsyncSession | Session) -> None:
    db.info.pop(SCOPE, None)


def rule_of(cls: type) -> Audited | None:
    rule = getattr(cls, "__audit__", None)
    return rule if isinstance(rule, Audited) else None


def role_of(actor: Actor, institution_id: uuid.UUID | None, child_id: uuid.UUID | None) -> str:
    """The actor's role in the child's institution, as of this request."""
    if actor.is_bare_device and actor.device is not None:
        return actor.device.role.upper()
    if institution_id is not None and institution_id in actor.admin_of:
        return "ADMIN"
    if institution_id is not None and institution_id in actor.staff_of:
        return "STAFF"
    if child_id is not None and child_id in actor.children:
        return "GUARDIAN"
    if institution_id is not None and institution_id in actor.municipality_institutions:
        return "MUNICIPALITY_ADMIN"
    return "OTHER"


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return str(value)


def _shown(rule: Audited, key: str, value: Any) -> Any:
    return REDACTED if key in rule.redact and value is not None else jsonable(value)


def _columns(mapper: Mapper[Any], rule: Audited) -> list[str]:
    return [attr.key for attr in mapper.column_attrs if attr.key not in rule.ignore]


def _values(mapper: Mapper[Any], rule: Audited, values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _shown(rule, key, values[key]) for key in _columns(mapper, rule) if key in values}


def _entity_id(mapper: Mapper[Any], values: Mapping[str, Any]) -> str:
    keys = [mapper.get_property_by_column(column).key for column in mapper.primary_key]
    return "/".join(str(values.get(key, "")) for key in keys)[:200]


def _row(
    scope: AuditScope,
    mapper: Mapper[Any],
    rule: Audited,
    action: AuditAction,
    values: Mapping[str, Any],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any] | None:
    institution_id, child_id = values.get("institution_id"), values.get(rule.child)
    if institution_id is None or child_id is None:
        return None  # not loaded (an expired object): nothing to attribute it to
    actor = scope.actor
    return {
        "id": new_id(),
        "institution_id": institution_id,
        "child_id": child_id,
        "user_id": None if actor is None or actor.is_bare_device else actor.user_id,
        "role": SYSTEM if actor is None else role_of(actor, institution_id, child_id),
        "device_id": None if actor is None else actor.device_id,
        "kind": rule.kind,
        "action": action.value,
        "entity_type": mapper.local_table.name,  # type: ignore[attr-defined]
        "entity_id": _entity_id(mapper, values),
        "before": before,
        "after": after,
        "at": utcnow(),
        "request_id": scope.request_id[:100],
        "operation": scope.operation or "-",
    }


def _note(session: Session, rows: Iterable[dict[str, Any] | None]) -> None:
    transaction = session.get_nested_transaction() or session.get_transaction()
    pending: Pending = session.info.setdefault(PENDING, Pending())
    pending.rows.extend((transaction, row) for row in rows if row is not None)


# ORM writes -------------------------------------------------------------------------------


def _orm_rows(scope: AuditScope, session: Session) -> Iterable[dict[str, Any] | None]:
    for obj in session.new:
        rule = rule_of(type(obj))
        if rule is not None:
            state = instance_state(obj)
            after = _values(state.mapper, rule, _as_inserted(state.mapper, state.dict))
            yield _row(scope, state.mapper, rule, AuditAction.CREATE, state.dict, None, after)
    for obj in session.dirty:
        rule = rule_of(type(obj))
        if rule is not None:
            yield _changed(scope, obj, rule)
    for obj in session.deleted:
        rule = rule_of(type(obj))
        if rule is not None:
            state = instance_state(obj)
            before = _values(state.mapper, rule, state.dict)
            yield _row(scope, state.mapper, rule, AuditAction.DELETE, state.dict, before, None)


def _as_inserted(mapper: Mapper[Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A new row's columns: those never set are NULL (unless the database fills them)."""
    return {
        attr.key: values.get(attr.key)
        for attr in mapper.column_attrs
        if attr.key in values or attr.columns[0].server_default is None
    }


def _changed(scope: AuditScope, obj: object, rule: Audited) -> dict[str, Any] | None:
    state = instance_state(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(state.mapper, rule):
        history = state.attrs[key].history
        if not history.added:
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0]
        if history.deleted and old == new:
            continue
        before[key] = _shown(rule, key, old)
        after[key] = _shown(rule, key, new)
    if not after:
        return None
    return _row(scope, state.mapper, rule, AuditAction.UPDATE, state.dict, before, after)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    scope: AuditScope | None = session.info.get(SCOPE)
    if scope is not None:
        _note(session, list(_orm_rows(scope, session)))


# Core statements on the session ------------------------------------------------------------


@event.listens_for(Session, "do_orm_execute")
def _core_write(state: ORMExecuteState) -> Any:
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    scope: AuditScope | None = state.session.info.get(SCOPE)
    mapper = state.bind_mapper or _mapper_of(state.statement)
    rule = rule_of(mapper.class_) if mapper is not None else None
    if scope is None or mapper is None or rule is None:
        return None
    if state.is_insert:
        _note(state.session, _inserted(scope, mapper, rule, state))
        return None
    return _updated_or_deleted(scope, mapper, rule, state)


def _mapper_of(statement: Any) -> Mapper[Any] | None:
    """The mapped class of a Core write to its table (`insert(Child.__table__)`, which fast
    bulk paths use): such a write is as audited as one through the entity."""
    table = getattr(statement, "table", None)
    if table is None:
        return None
    if table not in _BY_TABLE:  # a model mapped since, or a table of no model (None)
        _BY_TABLE.update((mapper.local_table, mapper) for mapper in Base.registry.mappers)
        _BY_TABLE.setdefault(table, None)
    return _BY_TABLE[table]


_BY_TABLE: dict[Any, Mapper[Any] | None] = {}


def _inserted(
    scope: AuditScope, mapper: Mapper[Any], rule: Audited, state: ORMExecuteState
) -> list[dict[str, Any] | None]:
    params: Any = state.parameters
    if not params and isinstance(state.statement, ClauseElement):
        params = state.statement.compile().params
    many: Sequence[Mapping[str, Any]] = params if isinstance(params, Sequence) else [params]
    return [
        _row(scope, mapper, rule, AuditAction.CREATE, values, None, _values(mapper, rule, values))
        for values in many
    ]


def _updated_or_deleted(
    scope: AuditScope, mapper: Mapper[Any], rule: Audited, state: ORMExecuteState
) -> Any:
    session = state.session
    where = state.statement.whereclause  # type: ignore[attr-defined]
    names = _columns(mapper, rule)
    columns = [mapper.columns[key].label(key) for key in names]
    query = select(*columns)
    if where is not None:
        query = query.where(where)
    keys = [mapper.get_property_by_column(column).key for column in mapper.primary_key]
    params: Any = state.parameters
    if params and isinstance(params, Sequence) and all(k in params[0] for k in keys):
        # An ORM bulk UPDATE by primary key (`db.execute(update(Model), [rows])`): its rows.
        query = query.where(
            tuple_(*(mapper.columns[key] for key in keys)).in_(
                [tuple(values[key] for key in keys) for values in params]
            )
        )
    # Executed on the connection: no ORM event, no autoflush inside this one.
    connection = session.connection()
    before_rows = [dict(row._mapping) for row in connection.execute(query)]
    result = state.invoke_statement()
    if state.is_delete:
        _note(
            session,
            [
                _row(scope, mapper, rule, AuditAction.DELETE, row, _values(mapper, rule, row), None)
                for row in before_rows
            ],
        )
        return result
    if not before_rows:
        return result
    again = select(*columns).where(
        tuple_(*(mapper.columns[key] for key in keys)).in_(
            [tuple(row[key] for key in keys) for row in before_rows]
        )
    )
    after_by_key = {
        tuple(row[key] for key in keys): row
        for row in (dict(found._mapping) for found in connection.execute(again))
    }
    rows = []
    for old in before_rows:
        new = after_by_key.get(tuple(old[key] for key in keys), {})
        changed = [k for k in names if k in new and new[k] != old.get(k)]
        if changed:
            rows.append(
                _row(
                    scope,
                    mapper,
                    rule,
                    AuditAction.UPDATE,
                    new,
                    {k: _shown(rule, k, old.get(k)) for k in changed},
                    {k: _shown(rule, k, new[k]) for k in changed},
                )
            )
    _note(session, rows)
    return result


# Writing them with the commit --------------------------------------------------------------


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: Pending | None = session.info.get(PENDING)
    if pending is not None:
        pending.rows = [
            (transaction, row)
            for transaction, row in pending.rows
            if not _within(transaction, previous_transaction)
        ]


@event.listens_for(Session, "before_commit")
def _write_with_commit(session: Session) -> None:
    if SCOPE not in session.info and PENDING not in session.info:
        return
    if SCOPE in session.info:
        # The commit's own flush comes after this hook: flush first so that its changes are
        # in this INSERT too.
        session.flush()
    pending: Pending | None = session.info.pop(PENDING, None)
    if pending is None or not pending.rows:
        return
    # One executemany statement for every row of this transaction.
    session.connection().execute(insert(AuditTrailEntry), [row for _, row in pending.rows])
