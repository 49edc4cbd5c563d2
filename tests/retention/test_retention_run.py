"""The retention run over a child who has left: with no hold, each kind of her data goes (the
objects in storage too, local files and S3 over HTTP) or, for the attendance statistics, is
anonymised with the counts kept; with a hold on her, nothing of hers goes and the report says
which hold kept what; released, it all goes at the next run. A hold on a thread keeps it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.runtime import Runtime
from app.messaging.models import Thread
from app.privacy.retention.service.run import RetentionReport
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import PERNILLE, started, thread
from tests.retention.world import count, hers, liva_leaves, object_keys, run, uuid_of


@pytest.fixture(params=["local", "s3"])
def runtime(request: pytest.FixtureRequest, runtime: Runtime) -> Runtime:
    storage = request.getfixturevalue(f"{request.param}_storage")
    return dataclasses.replace(runtime, storage=storage)


def _whole(hers: dict[str, Any]) -> None:
    """Everything the world gave her is there."""
    for kind in ("day entries", "pickup persons", "guardians", "photos", "stays", "absences"):
        assert hers[kind] >= 1, kind
    assert hers["record"] == 2
    assert (hers["picked up by someone"], hers["absence note"], hers["name"]) == (
        True,
        "Feber",
        "Liva",
    )


async def _exist(runtime: Runtime, keys: list[str]) -> list[bool]:
    return [await runtime.storage.exists(key) for key in keys]


async def test_a_child_who_left_is_erased_and_her_attendance_anonymised(client, runtime):
    w = await liva_leaves(client)
    keys = await object_keys(runtime, w["institution"])
    assert len(keys) >= 4 and all(await _exist(runtime, keys))  # the photo's and the person's
    before = await hers(runtime, w)
    _whole(before)
    # A month on nothing is due yet but her pickup data (one month after her last day).
    soon: RetentionReport = await run(runtime, later=__import__("datetime").timedelta(days=45))
    assert soon.kinds["pickup"].deleted >= 1 and soon.kinds["day entries"].deleted == 0
    assert (await hers(runtime, w))["day entries"] == before["day entries"]

    report: RetentionReport = await run(runtime)
    assert await hers(runtime, w) == {
        "day entries": 0,
        "pickup persons": 0,
        "record": 0,
        "guardians": 0,
        "photos": 0,
        "stays": before["stays"],  # the statistics keep their count ...
        "absences": before["absences"],
        "picked up by someone": False,  # ... without the people
        "absence note": "",
        "name": "—",
    }
    assert not any(await _exist(runtime, keys))
    assert await object_keys(runtime, w["institution"]) == []
    assert report.kinds["day entries"].deleted >= before["day entries"]
    assert report.kinds["attendance"].anonymised >= 2
    assert report.kinds["child record"].anonymised == 1
    assert all(not kind.kept and not kind.failed for kind in report.kinds.values())
    assert await thread(client, PERNILLE, w["thread"]) is None
    # A second run finds nothing more of hers.
    again = await run(runtime)
    assert again.kinds["child record"].anonymised == 0 and again.kinds["attendance"].anonymised == 0


async def test_a_hold_keeps_everything_of_the_child_until_released(client, runtime):
    w = await liva_leaves(client)
    keys = await object_keys(runtime, w["institution"])
    placed = await client.gql(
        "PlaceLegalHold", {"childId": w["liva"], "reason": "Tilsynssag 17"}, as_=SOLSIKKEN_ADMIN
    )
    hold = placed["placeLegalHold"]
    before = await hers(runtime, w)
    report: RetentionReport = await run(runtime)
    assert await hers(runtime, w) == before
    _whole(before)
    assert all(await _exist(runtime, keys))
    assert await thread(client, PERNILLE, w["thread"]) is not None
    hold_uuid = uuid_of(hold["id"], "LegalHold")
    for kind in ("day entries", "attendance", "pickup", "child record", "photos", "messages"):
        kept = report.kinds[kind].kept
        assert [(k.hold_id, k.reason, k.subject, k.subject_id) for k in kept] == [
            (hold_uuid, "Tilsynssag 17", "child", uuid_of(w["liva"]))
        ], kind
    assert f"  kept child {uuid_of(w['liva'])}: hold {hold_uuid} (Tilsynssag 17)" in report.lines()

    await client.gql("ReleaseLegalHold", {"legalHoldId": hold["id"]}, as_=SOLSIKKEN_ADMIN)
    await run(runtime)
    assert (await hers(runtime, w))["name"] == "—"
    assert not any(await _exist(runtime, keys))


async def test_a_hold_on_a_thread_keeps_it_and_its_files_while_others_go(client, runtime):
    w = await liva_leaves(client)
    (other,) = await started(client, PERNILLE, w["institution"], {"groups": [w["bears_group"]]})
    placed = await client.gql(
        "PlaceLegalHold", {"threadId": other["id"], "reason": "Klage"}, as_=SOLSIKKEN_ADMIN
    )
    report: RetentionReport = await run(runtime)
    assert await thread(client, PERNILLE, other["id"]) is not None
    assert await thread(client, PERNILLE, w["thread"]) is None
    kept = report.kinds["messages"].kept
    assert [(k.subject, k.reason) for k in kept] == [("thread", "Klage")]
    assert report.kinds["messages"].deleted >= 1
    left = await count(
        runtime,
        w["institution"],
        select(func.count()).select_from(Thread).where(Thread.id == uuid_of(other["id"], "Thread")),
    )
    assert left == 1 and placed["placeLegalHold"]["inForce"]
