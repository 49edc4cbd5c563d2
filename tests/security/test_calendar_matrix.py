"""The security matrix of the calendar of closed days: its people read it; only its admins
change it (another institution's admin and staff, its own staff, a guardian are refused as if
the institution did not exist, and nothing changes); no live session, no answer."""

from __future__ import annotations

from tests.helpers import SOLSIKKEN_ADMIN, institution_id
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    empty,
    not_found,
)

PERNILLE = "pernille@solsikken.example"  # staff, not admin
METTE = "mette@example.com"  # a guardian


def _mutations(iid: str) -> list[Case]:
    return [
        Case(
            "CloseDays",
            {"institutionId": iid, "from": "2099-12-27", "to": "2099-12-31", "label": "x"},
            not_found("closeDays"),
        ),
        Case(
            "ReopenDays",
            {"institutionId": iid, "from": "2099-07-01", "to": "2099-07-03"},
            not_found("reopenDays"),
        ),
        Case(
            "KeepPublicHolidayOpen",
            {"institutionId": iid, "day": "2099-12-25", "open": True},
            not_found("keepPublicHolidayOpen"),
        ),
    ]


async def _calendar(client, iid: str) -> list[dict]:
    data = await client.gql(
        "CalendarClosedDays",
        {"institutionId": iid, "from": "2099-06-01", "to": "2099-12-31"},
        as_=SOLSIKKEN_ADMIN,
    )
    rows: list[dict] = data["closedDays"]
    return rows


async def test_only_the_institutions_admins_change_its_calendar(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    await client.gql(
        "CloseDays",
        {"institutionId": iid, "from": "2099-07-01", "to": "2099-07-03", "label": "Sommer"},
        as_=SOLSIKKEN_ADMIN,
    )
    before = await _calendar(client, iid)
    await assert_refused(client, _mutations(iid), [*STRANGERS, PERNILLE, METTE])
    assert await _calendar(client, iid) == before
    reads = [
        Case(
            "CalendarClosedDays",
            {"institutionId": iid, "from": "2099-06-01", "to": "2099-12-31"},
            empty("closedDays"),
        )
    ]
    await assert_refused(client, reads, STRANGERS)


async def test_the_calendar_needs_a_live_session(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    cases = [
        *_mutations(iid),
        Case(
            "CalendarClosedDays", {"institutionId": iid, "from": "2099-06-01", "to": "2099-06-30"}
        ),
    ]
    await assert_unauthenticated(client, cases, await dead_sessions(client))
