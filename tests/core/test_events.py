"""Domain events: in-transaction handlers share the use case's fate; after-commit handlers run
only when it committed, and see what it committed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import events
from app.core.runtime import Runtime
from app.core.system_scope import all_institutions_session
from app.db import write_transaction
from app.institutions.models import Group


@dataclass(frozen=True)
class GroupRenamed(events.DomainEvent):
    group_id: uuid.UUID
    name: str


published: list[tuple[str, str]] = []


@events.on(GroupRenamed)
async def _note_in_transaction(db: AsyncSession, happened: GroupRenamed) -> None:
    group = await db.get(Group, happened.group_id)
    assert group is not None
    group.name = f"{happened.name} (noted)"


@events.after_commit(GroupRenamed)
async def _publish(happened: GroupRenamed, outside: events.Outside) -> None:
    # What a subscriber would re-read: a fresh session sees the committed row.
    runtime = outside
    assert isinstance(runtime, Runtime)
    async with all_institutions_session(runtime.sessions) as other:
        name = await other.scalar(select(Group.name).where(Group.id == happened.group_id))
    published.append((happened.name, str(name)))
    await outside.broker.publish(f"group:{happened.group_id}", {"name": happened.name})


class Boom(Exception):
    pass


async def _a_group(runtime: Runtime) -> tuple[uuid.UUID, str]:
    async with all_institutions_session(runtime.sessions) as db:
        group = (await db.scalars(select(Group).order_by(Group.name).limit(1))).first()
        assert group is not None
        return group.id, group.name


async def test_after_commit_runs_once_the_transaction_committed(runtime: Runtime):
    published.clear()
    group_id, _ = await _a_group(runtime)
    async with (
        all_institutions_session(runtime.sessions) as db,
        runtime.broker.subscribe(f"group:{group_id}") as heard,
    ):
        async with write_transaction(db):
            row = await db.get(Group, group_id)
            assert row is not None
            row.name = "Egernene"
            await events.record(db, GroupRenamed(group_id=group_id, name="Egernene"))
            assert published == []  # nothing before the commit
        assert published == [("Egernene", "Egernene (noted)")]
        event = await anext(aiter(heard))
        assert event == {"name": "Egernene"}


async def test_a_rolled_back_transaction_publishes_nothing(runtime: Runtime):
    published.clear()
    group_id, name_before = await _a_group(runtime)
    async with all_institutions_session(runtime.sessions) as db:
        with pytest.raises(Boom):
            async with write_transaction(db):
                await events.record(db, GroupRenamed(group_id=group_id, name="Ugler"))
                raise Boom
        # The next transaction on the same session commits, and still nothing of the first.
        async with write_transaction(db):
            pass
    assert published == []
    async with all_institutions_session(runtime.sessions) as db:
        name = await db.scalar(select(Group.name).where(Group.id == group_id))
    assert name == name_before


async def test_recording_outside_a_transaction_is_a_bug(runtime: Runtime):
    group_id, _ = await _a_group(runtime)
    async with runtime.sessions() as db:
        with pytest.raises(RuntimeError):
            await events.record(db, GroupRenamed(group_id=group_id, name="x"))
