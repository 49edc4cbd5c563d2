"""The idempotency keys' store (app.core.idempotency.KeyStore) and their retention.

The key is written by the session itself, just before the commit of the transaction that
created the claimed rows (a `before_commit` hook), so it always shares that transaction: no
use case needs to know about keys, and whichever way a request arranges its transactions, the
key commits exactly when the effect does."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from app.accounts.models import IdempotencyKey
from app.core.idempotency import INSERTED_ROWS, Claim, Recorded
from app.db import write_transaction
from app.storage import ObjectStorage

# Clients retry for minutes, offline tablets for hours; a day is the promise (at least).
KEEP_KEYS = timedelta(hours=24)

_ARMED = "seddel.idempotency.claim"
_CREATED = "seddel.idempotency.created"


class IdempotencyKeys:
    """The accounts slice's KeyStore."""

    async def recall(self, db: AsyncSession, *, user_id: uuid.UUID, key: str) -> Recorded | None:
        row = (
            await db.execute(
                select(
                    IdempotencyKey.operation, IdempotencyKey.fingerprint, IdempotencyKey.results
                ).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
            )
        ).one_or_none()
        if row is None:
            return None
        return Recorded(
            operation=row.operation,
            fingerprint=row.fingerprint,
            results=tuple((table, uuid.UUID(id_)) for table, id_ in row.results),
        )

    def arm(self, db: AsyncSession, claim: Claim) -> None:
        db.sync_session.info[_ARMED] = claim
        db.sync_session.info[_CREATED] = []

    def disarm(self, db: AsyncSession) -> None:
        db.sync_session.info.pop(_ARMED, None)
        db.sync_session.info.pop(_CREATED, None)

    async def rows(
        self, db: AsyncSession, recorded: Recorded, creates: tuple[type[Any], ...]
    ) -> list[Any] | None:
        models = {model.__tablename__: model for model in creates}
        found = []
        for table, id_ in recorded.results:
            model = models.get(table)
            row = await db.get(model, id_) if model is not None else None
            if row is None:
                return None
            found.append(row)
        return found

    def is_key_clash(self, error: BaseException) -> bool:
        # PostgreSQL names the constraint, SQLite the table and its columns.
        text = str(getattr(error, "orig", error))
        return isinstance(error, IntegrityError) and (
            "pk_idempotency_keys" in text or "idempotency_keys.user_id" in text
        )


@event.listens_for(Session, "after_flush")
def _note_created(session: Session, _flush: UOWTransaction) -> None:
    claim: Claim | None = session.info.get(_ARMED)
    if claim is None:
        return
    created: list[tuple[str, uuid.UUID]] = session.info.setdefault(_CREATED, [])
    for row in session.new:  # still the inserted rows here, in the order they were added
        if isinstance(row, claim.creates):
            created.append((row.__tablename__, row.id))


@event.listens_for(Session, "do_orm_execute")
def _note_inserted(state: ORMExecuteState) -> None:
    """Rows inserted in bulk (`insert(Model)` with a list of values, as the day log does), or
    named by the statement (`INSERTED_ROWS`: a multi-table INSERT)."""
    claim: Claim | None = state.session.info.get(_ARMED)
    if claim is None:
        return
    listed = state.execution_options.get(INSERTED_ROWS)
    if listed:
        noted: list[tuple[str, uuid.UUID]] = state.session.info.setdefault(_CREATED, [])
        for model, ids in listed:
            if issubclass(model, claim.creates):
                noted.extend((model.__tablename__, id_) for id_ in ids)
        return
    mapper = state.bind_mapper
    if not state.is_insert or mapper is None:
        return
    if not issubclass(mapper.class_, claim.creates):
        return
    values: Any = state.parameters
    rows: list[Any] = values if isinstance(values, list) else [values or {}]
    created: list[tuple[str, uuid.UUID]] = state.session.info.setdefault(_CREATED, [])
    created.extend((mapper.class_.__tablename__, row["id"]) for row in rows if "id" in row)


@event.listens_for(Session, "after_soft_rollback")
def _forget_created(session: Session, _previous: SessionTransaction) -> None:
    """Rows of a rolled-back transaction (or savepoint) are no result to point at."""
    if _CREATED in session.info:
        session.info[_CREATED] = []


@event.listens_for(Session, "before_commit")
def _write_key(session: Session) -> None:
    claim: Claim | None = session.info.get(_ARMED)
    if claim is None:
        return
    session.flush()  # the effect's rows get their ids (and are noted) before the key points at them
    created: list[tuple[str, uuid.UUID]] = session.info.get(_CREATED) or []
    if not created:
        return  # a transaction of something else (the actor's, a read): the claim waits
    session.info.pop(_ARMED, None)
    session.info.pop(_CREATED, None)
    session.add(
        IdempotencyKey(
            user_id=claim.user_id,
            key=claim.key,
            operation=claim.operation,
            fingerprint=claim.fingerprint,
            results=[[table, str(id_)] for table, id_ in created],
        )
    )


async def purge_expired_keys(
    *, db: AsyncSession, storage: ObjectStorage, institution_id: uuid.UUID, now: datetime
) -> int:
    """Keys older than a day go. Keys are users', not an institution's: the first
    institution's run removes them all, the others find none (a cheap indexed delete)."""
    async with write_transaction(db):
        result = await db.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEEP_KEYS)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
