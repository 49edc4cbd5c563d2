"""A child's day changed (app.attendance.events.DayChanged): use cases record it, the one
after-commit handler publishes it on the presence channels; nothing for a rolled-back write,
nothing from a resolver, and a worker job publishes through its own context."""

from __future__ import annotations

import asyncio
import pathlib
import uuid

import pytest
from sqlalchemy import select

import app.root.handlers  # noqa: F401  the handler that publishes DayChanged
from app.attendance.events import DayChanged
from app.attendance.presence.service.live import child_channel, group_channel
from app.core import events
from app.core.runtime import Runtime
from app.core.system_scope import all_institutions_session
from app.db import utcnow, write_transaction
from app.institutions.models import Child
from app.ops.jobs import JobContext
from app.realtime import InProcessBroker

ATTENDANCE = pathlib.Path(__file__).parents[2] / "app" / "attendance"


class Boom(Exception):
    pass


async def _a_child(runtime: Runtime) -> tuple[uuid.UUID, uuid.UUID]:
    async with all_institutions_session(runtime.sessions) as db:
        row = (
            await db.execute(
                select(Child.id, Child.group_id).where(Child.group_id.is_not(None)).limit(1)
            )
        ).one()
        return row.id, row.group_id


async def _next(events_: object) -> dict[str, str]:
    return await asyncio.wait_for(anext(aiter(events_)), timeout=2)


async def test_a_committed_change_reaches_the_group_and_the_guardians(runtime: Runtime):
    child_id, group_id = await _a_child(runtime)
    broker = runtime.broker
    async with (
        broker.subscribe(group_channel(group_id)) as tablets,
        broker.subscribe(child_channel(child_id)) as guardians,
        all_institutions_session(runtime.sessions) as db,
    ):
        async with write_transaction(db):
            await events.record(db, DayChanged(child_id, group_id, "presence", guardians=True))
        expected = {"child_id": str(child_id), "kind": "presence"}
        assert await _next(tablets) == expected
        assert await _next(guardians) == expected


async def test_a_rolled_back_change_is_not_published(runtime: Runtime):
    child_id, group_id = await _a_child(runtime)
    broker = runtime.broker
    async with (
        broker.subscribe(group_channel(group_id)) as tablets,
        all_institutions_session(runtime.sessions) as db,
    ):
        with pytest.raises(Boom):
            async with write_transaction(db):
                await events.record(db, DayChanged(child_id, group_id, "absence"))
                raise Boom
        async with write_transaction(db):
            await events.record(db, DayChanged(child_id, group_id, "plan"))
        # Only the second, committed one: the first went with its transaction.
        assert await _next(tablets) == {"child_id": str(child_id), "kind": "plan"}


async def test_a_job_publishes_through_its_own_context(runtime: Runtime, settings):
    child_id, group_id = await _a_child(runtime)
    shared = InProcessBroker()
    context = JobContext(
        sessions=runtime.sessions,
        storage=runtime.storage,
        settings=settings,
        now=utcnow(),
        broker=shared,
    )
    assert context.sessions is not runtime.sessions
    assert runtime.sessions.kw["info"][events.OUTSIDE] is runtime  # the server's keeps its own
    async with (
        shared.subscribe(group_channel(group_id)) as heard,
        all_institutions_session(context.sessions) as db,
    ):
        async with write_transaction(db):
            await events.record(db, DayChanged(child_id, group_id, "nightly_close", True))
        assert await _next(heard) == {"child_id": str(child_id), "kind": "nightly_close"}
    # Without a shared broker a job still has one: it reaches no one, and fails nothing.
    alone = JobContext(
        sessions=runtime.sessions, storage=runtime.storage, settings=settings, now=context.now
    )
    assert isinstance(alone.broker, InProcessBroker)


def test_resolvers_never_publish():
    offenders = [
        str(path.relative_to(ATTENDANCE))
        for path in ATTENDANCE.rglob("api/*.py")
        if ".publish(" in path.read_text() or "broker.publish" in path.read_text()
    ]
    assert offenders == []
