"""Live events are recorded by the use cases and published after commit (IDs only, on the
`inbox:<user>` and `thread:<thread>` channels); a rolled-back change publishes nothing."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from strawberry.relay import GlobalID

from app.db import write_transaction
from app.messaging.events import NEW_MESSAGE
from app.messaging.service import live
from tests.messaging.util import METTE, PERNILLE, demo, scoped, send, started
from tests.notifications.helpers import user_id


def _plain(global_id: str) -> str:
    return GlobalID.from_id(global_id).node_id


async def test_a_new_message_reaches_the_inbox_and_the_thread_channel(client, runtime):
    d = await demo(client)
    (t,) = await started(client, METTE, d.institution, {"staff": [d.staff[PERNILLE]]})
    pernille = await user_id(runtime, PERNILLE)
    broker = runtime.broker
    async with (
        broker.subscribe(f"inbox:{pernille}") as inbox_events,
        broker.subscribe(f"thread:{_plain(t['id'])}") as thread_events,
    ):
        sent = await send(client, METTE, t["id"], "Vi kommer lidt senere i dag.")
        in_inbox = await asyncio.wait_for(inbox_events.__anext__(), timeout=5)
        in_thread = await asyncio.wait_for(thread_events.__anext__(), timeout=5)
    expected = {
        "kind": "NEW_MESSAGE",
        "thread_id": _plain(t["id"]),
        "message_id": _plain(sent["id"]),
    }
    assert in_inbox == expected
    assert in_thread == expected


async def test_a_rolled_back_change_publishes_nothing(client, runtime):
    d = await demo(client)
    (t,) = await started(client, METTE, d.institution, {"staff": [d.staff[PERNILLE]]})
    pernille = await user_id(runtime, PERNILLE)
    thread_id = uuid.UUID(_plain(t["id"]))
    async with runtime.broker.subscribe(f"inbox:{pernille}") as events:
        async with scoped(runtime, d.institution) as db:
            with pytest.raises(RuntimeError):
                async with write_transaction(db):
                    await live.record_thread_activity(db, NEW_MESSAGE, [thread_id])
                    raise RuntimeError("the use case failed after recording")
        sent = await send(client, METTE, t["id"], "Den her kom frem.")
        first = await asyncio.wait_for(events.__anext__(), timeout=5)
    # The first event is the committed message's; the rolled-back one never went out.
    assert first["message_id"] == _plain(sent["id"])
