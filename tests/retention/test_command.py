"""`seddel retention [--dry-run]` in process (the run itself, then the command line's wiring):
the dry run prints what would go and what a hold keeps, and changes nothing, not a row, not an
object; the real run prints the report and does it."""

from __future__ import annotations

from typing import Any

import app.cli
from app.root.jobs import retention_lines
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import PERNILLE, thread
from tests.retention.world import context, hers, liva_leaves, object_keys, uuid_of


async def test_a_dry_run_prints_what_would_go_and_changes_nothing(client, runtime, connection):
    w = await liva_leaves(client)
    placed = await client.gql(
        "PlaceLegalHold", {"threadId": w["thread"], "reason": "Klage"}, as_=SOLSIKKEN_ADMIN
    )
    hold = uuid_of(placed["placeLegalHold"]["id"], "LegalHold")
    before = await hers(runtime, w)
    keys = await object_keys(runtime, w["institution"])

    lines = await retention_lines(context(runtime), dry_run_on=connection)

    assert lines[0].startswith("retention (dry run, nothing changed): ")
    by_kind = {line.split(":")[0]: line for line in lines[1:] if not line.startswith(" ")}
    assert by_kind["child record"].startswith("child record: would be deleted ")
    assert "would be anonymised 1" in by_kind["child record"]
    assert "kept under legal hold 1" in by_kind["messages"]
    assert f"  kept thread {uuid_of(w['thread'], 'Thread')}: hold {hold} (Klage)" in lines
    assert await hers(runtime, w) == before
    assert await object_keys(runtime, w["institution"]) == keys
    assert all([await runtime.storage.exists(key) for key in keys])

    real = await retention_lines(context(runtime))
    assert real[0].startswith("retention: ")
    assert any(line.startswith("child record: deleted ") for line in real)
    assert (await hers(runtime, w))["name"] == "—"
    assert await thread(client, PERNILLE, w["thread"]) is not None  # held
    assert not any([await runtime.storage.exists(key) for key in keys])


def test_the_command_line_passes_dry_run(monkeypatch):
    calls: list[tuple[Any, ...]] = []

    async def jobs(command: str, once: bool, dry_run: bool = False) -> None:
        calls.append((command, once, dry_run))

    monkeypatch.setattr(app.cli, "_jobs_async", jobs)
    app.cli.main(["retention", "--dry-run"])
    app.cli.main(["retention"])
    assert calls == [("retention", True, True), ("retention", True, False)]
