"""The retention run works in batches: three children leaving cost the same statements as one
(but for the child rows' anonymisation, one statement per birth year among them)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.ops.retention import dry_run
from app.privacy.retention.service.run import run_retention_rules
from tests.attendance.plan_helpers import family
from tests.helpers import SOLSIKKEN_ADMIN
from tests.retention.world import context


async def test_more_children_leaving_cost_no_more_statements(
    client, runtime, connection, assert_max_queries
):
    f = await family(client)
    today = datetime.now(ZoneInfo("Europe/Copenhagen")).date().isoformat()

    async def leave(child: str) -> None:
        done = await client.gql(
            "DeactivateChild", {"childId": child, "lastDay": today}, as_=SOLSIKKEN_ADMIN
        )
        assert done["deactivateChild"]["__typename"] == "Child", done

    async def statements() -> int:
        with assert_max_queries(1000) as counter:
            await dry_run(
                context(runtime),
                connection,
                lambda job: run_retention_rules(
                    sessions=job.sessions, storage=job.storage, now=job.now
                ),
            )
        return counter.count

    await leave(f["liva"])
    one = await statements()
    others = [c for c in f["bears"] if c != f["liva"]][:2]
    for child in others:
        await leave(child)
    three = await statements()
    assert three <= one + 2, (one, three)  # at most two more birth years
