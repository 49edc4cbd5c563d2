"""System jobs under row-level security: work that runs without a user (retention, the
notification outbox) still goes through the tenant scope, one institution at a time.

Why a narrow policy and not a SECURITY DEFINER function: every tenant table is FORCE RLS, so
even the tables' owner is held to the policies; a definer function would only help if its
owner were a superuser or had BYPASSRLS, which production must not need. Instead migration
0020 adds one SELECT-only policy on `institutions` that opens when the transaction-local
setting seddel.system_job is 'list_institutions'. `institution_ids()` sets it for exactly one
SELECT and clears it again in the same transaction (and it ends with the transaction anyway);
request scopes never set it (app.db only sets seddel.institution_ids and seddel.user_id), and
tests/security/test_system_scope.py proves a request scope still sees only its own tenants.
Each job then runs per institution with the ordinary `scope(...)`, so a bug in a job cannot
reach another tenant's rows either."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Uuid, column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import RequestSession, scope

SYSTEM_JOB = "seddel.system_job"
# The kernel names the tenants' table without importing the institutions slice.
_institutions = table("institutions", column("id", Uuid()))


async def institution_ids(db: AsyncSession) -> list[uuid.UUID]:
    """Every institution's id, for a system job to iterate over."""
    if db.in_transaction():
        await db.commit()
    postgres = db.get_bind().dialect.name == "postgresql"
    async with db.begin():
        if postgres:
            await db.execute(text(f"SELECT set_config('{SYSTEM_JOB}', 'list_institutions', true)"))
        ids = list(
            (await db.scalars(select(_institutions.c.id).order_by(_institutions.c.id))).all()
        )
        if postgres:
            await db.execute(text(f"SELECT set_config('{SYSTEM_JOB}', '', true)"))
    return ids


@asynccontextmanager
async def institution_session(
    sessions: async_sessionmaker[RequestSession], institution_id: uuid.UUID
) -> AsyncIterator[RequestSession]:
    """A session scoped to one institution and no user: what a system job works in."""
    async with sessions() as db:
        scope(db, institution_ids=[institution_id], user_id=None)
        yield db


@asynccontextmanager
async def all_institutions_session(
    sessions: async_sessionmaker[RequestSession],
) -> AsyncIterator[RequestSession]:
    """A session scoped to every institution, for the outbox worker, which claims due
    notifications across tenants in one statement (it reads and updates outbox rows only)."""
    async with sessions() as db:
        ids = await institution_ids(db)
        scope(db, institution_ids=ids, user_id=None)
        yield db
