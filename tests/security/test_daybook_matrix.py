"""The security matrix of the daily log's reads: the child's days over a period, one day, an
entry's history. Strangers, another family's guardian, Liva's father on the protected child,
and dead sessions. Single nodes and every daybook mutation: tests/security/test_matrix.py."""

from __future__ import annotations

from tests.daybook.helpers import yesterday
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    empty,
    null,
)
from tests.security.test_matrix import _daybook_ids

METTE = "mette@example.com"
JONAS = "jonas@example.com"


def _reads(child: str, entry: str) -> list[Case]:
    day = yesterday()
    period = {"child": child, "start": (day.replace(day=1)).isoformat(), "end": day.isoformat()}
    return [
        Case("ChildDays", period, empty("childDays")),
        Case("ChildDay", {"child": child, "date": day.isoformat()}, null("childDay")),
        Case("DayEntryHistory", {"id": entry}, null("node")),
    ]


async def test_daybook_reads_show_outsiders_nothing(client):
    ids = await _daybook_ids(client)
    await assert_refused(
        client, _reads(ids["liva"], ids["liva_entry"]), [*STRANGERS, ids["other_guardian"]]
    )
    # Liva's parents on the protected child of another family.
    await assert_refused(client, _reads(ids["other_child"], ids["other_entry"]), [METTE, JONAS])
    # The same documents do find Liva's day for her mother.
    day = yesterday()
    period = {"child": ids["liva"], "start": day.replace(day=1).isoformat(), "end": day.isoformat()}
    assert (await client.gql("ChildDays", period, as_=METTE))["childDays"]


async def test_daybook_reads_need_a_live_session(client):
    ids = await _daybook_ids(client)
    await assert_unauthenticated(
        client, _reads(ids["liva"], ids["liva_entry"]), await dead_sessions(client)
    )
