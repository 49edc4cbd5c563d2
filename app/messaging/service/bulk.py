"""Writing the rows of several tables at once: on PostgreSQL one statement (each table's
multi-row INSERT a data-modifying CTE of it; foreign keys are checked at the end of the
statement, so a thread and its messages may be written together), elsewhere one multi-row
INSERT per table in the order given. The ORM entities stay what the caller holds: the threads
and messages are then attached to the session as persistent (a later change is an UPDATE).

The rows a creating mutation answers with are named to the idempotency keys' store
(app.core.idempotency.INSERTED_ROWS), as a flush would report them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from app.core.idempotency import INSERTED_ROWS

# PostgreSQL takes at most 32,767 bind parameters a statement; past this, a table a statement.
MAX_PARAMETERS = 30_000


def values_of(entity: Any) -> dict[str, Any]:
    """The row of an unsaved entity, its columns' Python-side defaults filled in as a flush
    would."""
    row: dict[str, Any] = {}
    for column in entity.__table__.columns:
        value = getattr(entity, column.key)
        default = column.default
        if value is None and default is not None:
            value = default.arg(None) if default.is_callable else default.arg
        setattr(entity, column.key, value)  # loaded, not expired, once it is attached
        row[column.key] = value
    return row


async def insert_all(
    db: AsyncSession,
    tables: Sequence[Sequence[Any]],
    *,
    attach: Sequence[Sequence[Any]] = (),
    reported: Sequence[Sequence[Any]] = (),
) -> None:
    """Insert every entity of `tables` (a list of entities per table, parents first).
    `attach`: entities to keep in the session afterwards; `reported`: entities created for the
    idempotency keys' store, in creation order."""
    batches = [
        (entities[0].__table__, [values_of(e) for e in entities]) for entities in tables if entities
    ]
    if not batches:
        return
    listed = [(type(group[0]), [e.id for e in group]) for group in reported if group]
    options = {INSERTED_ROWS: listed}
    parameters = sum(len(rows) * len(rows[0]) for _, rows in batches)
    if db.get_bind().dialect.name == "postgresql" and parameters <= MAX_PARAMETERS:
        *first, (last_table, last_rows) = batches
        ctes = [
            insert(table).values(rows).cte(f"written_{n}") for n, (table, rows) in enumerate(first)
        ]
        await db.execute(
            insert(last_table).values(last_rows).add_cte(*ctes), execution_options=options
        )
    else:
        for n, (table, rows) in enumerate(batches):
            chunk = max(1, MAX_PARAMETERS // len(rows[0]))
            for start in range(0, len(rows), chunk):
                await db.execute(
                    insert(table).values(rows[start : start + chunk]),
                    execution_options=options if n == 0 and start == 0 else {},
                )
    for group in attach:
        keep(db, group)


def keep(db: AsyncSession, entities: Sequence[Any]) -> None:
    """Entities whose rows a statement of ours inserted (`values_of` made them), in the session
    as persistent: loaded as they were written; a later change is an UPDATE."""
    for entity in entities:
        make_transient_to_detached(entity)
        db.add(entity)
