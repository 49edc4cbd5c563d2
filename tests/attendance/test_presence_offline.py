"""Tablets that were offline: late events are placed by their own time and applied exactly
once, whole stays synced late fit into the gaps between recorded ones, and an event that would
overlap a stay, or a check-out that finds no stay of its own, is a typed error that writes
nothing. At a fixed time (the plan clock: Monday 7 January 2030, Copenhagen); on PostgreSQL
the exclusion constraint accepts every stay written here."""

from __future__ import annotations

from typing import Any

from tests.attendance.day_view_helpers import group_day, local
from tests.attendance.plan_helpers import PERNILLE, day, family
from tests.attendance.presence_support import check_in, check_out, new_event
from tests.helpers import SOLSIKKEN_ADMIN


async def history(client: Any, child: str) -> list[tuple[str, str | None, bool]]:
    """(in, out, estimated) of the child's stays this week, oldest first, in local time."""
    data = await client.gql(
        "PresenceHistory", {"childId": child, "start": day(-1), "end": day(2)}, as_=PERNILLE
    )
    return [
        (
            _local(p["checkedInAt"]),
            _local(p["checkedOutAt"]) if p["checkedOutAt"] else None,
            p["checkoutEstimated"],
        )
        for p in data["presenceHistory"]
    ]


def _local(moment: str) -> str:
    from datetime import datetime

    from tests.attendance.day_view_helpers import COPENHAGEN

    return datetime.fromisoformat(moment).astimezone(COPENHAGEN).strftime("%a %H:%M")


async def test_a_whole_stay_synced_late_is_placed_before_the_recorded_one(client, plan_clock):
    f = await family(client)
    liva, mother = f["liva"], {"guardianLinkId": f["liva_links"]["mette@example.com"]}
    plan_clock.at_local(10, 5)
    now_here = await check_in(client, liva, at=local(10))  # tablet A, online
    assert now_here["__typename"] == "PresenceChanged", now_here
    # Tablet B was offline all morning: it checked Liva in at 8 and out at 9; it syncs at 10:30.
    plan_clock.at_local(10, 30)
    came, went = new_event(), new_event()
    arrived = await check_in(client, liva, at=local(8), event=came)
    assert arrived["__typename"] == "PresenceChanged", arrived
    # Closed where the recorded stay begins, as an estimate, until its own check-out arrives.
    assert arrived["presence"]["checkoutEstimated"] is True
    assert _local(arrived["presence"]["checkedOutAt"]) == "Mon 10:00"
    left = await check_out(client, liva, at=local(9), event=went, picked_up_by=mother)
    assert left["__typename"] == "PresenceChanged", left
    assert left["presence"]["id"] == arrived["presence"]["id"]
    assert left["presence"]["pickedUpBy"] == {"kind": "GUARDIAN", "name": "Mette Holm-Jensen"}
    expected = [("Mon 08:00", "Mon 09:00", False), ("Mon 10:00", None, False)]
    assert await history(client, liva) == expected
    # B did not hear back and sends both again: each was applied once, the answers are the same.
    again_in = await check_in(client, liva, at=local(8), event=came)
    again_out = await check_out(client, liva, at=local(9), event=went, picked_up_by=mother)
    assert again_in["replayed"] is True and again_out["replayed"] is True
    assert again_in["event"] == arrived["event"] and again_out["event"] == left["event"]
    assert again_in["presence"]["id"] == again_out["presence"]["id"] == arrived["presence"]["id"]
    assert await history(client, liva) == expected
    # The tablet's day shows her present since 8, with both stays in time order; nothing is
    # left for staff to confirm.
    row = (await group_day(client, f["bears_group"]))[liva]
    assert row["status"] == "PRESENT" and _local(row["arrivedAt"]) == "Mon 08:00"
    assert [_local(s["checkedInAt"]) for s in row["stays"]] == ["Mon 08:00", "Mon 10:00"]
    unconfirmed = await client.gql(
        "UnconfirmedCheckouts", {"institutionId": f["institution"]}, as_=PERNILLE
    )
    assert unconfirmed["unconfirmedCheckouts"] == []


async def test_events_that_overlap_or_find_no_stay_are_refused_and_write_nothing(
    client, plan_clock
):
    f = await family(client)
    liva, mother = f["liva"], {"guardianLinkId": f["liva_links"]["mette@example.com"]}
    plan_clock.at_local(10, 30)
    await check_in(client, liva, at=local(10))
    await check_in(client, liva, at=local(8))
    await check_out(client, liva, at=local(9), picked_up_by=mother)
    before = await history(client, liva)
    refusals = [
        (await check_in(client, liva, at=local(8, 30)), ("CONFLICT", "childId")),  # in 8-9
        (await check_in(client, liva, at=local(10, 15)), ("CONFLICT", "childId")),  # in 10-
        (await check_in(client, liva, at=local(8)), ("CONFLICT", "childId")),  # the same start
        # Between the stays nobody is checked in; before 8 neither.
        (await check_out(client, liva, at=local(9, 30), picked_up_by=mother), ("CONFLICT",)),
        (await check_out(client, liva, at=local(7), picked_up_by=mother), ("CONFLICT",)),
    ]
    for refused, expected in refusals:
        assert (refused["code"], refused["field"])[: len(expected)] == expected, refused
    assert await history(client, liva) == before
    # The gap itself takes a stay of its own.
    gap_in = await check_in(client, liva, at=local(9, 15))
    assert gap_in["__typename"] == "PresenceChanged", gap_in
    gap_out = await check_out(client, liva, at=local(9, 45), picked_up_by=mother)
    assert gap_out["presence"]["id"] == gap_in["presence"]["id"]
    assert await history(client, liva) == [
        ("Mon 08:00", "Mon 09:00", False),
        ("Mon 09:15", "Mon 09:45", False),
        ("Mon 10:00", None, False),
    ]


async def test_a_check_out_that_arrives_before_its_check_in_waits_for_it(client, plan_clock):
    f = await family(client)
    liva, mother = f["liva"], {"guardianLinkId": f["liva_links"]["mette@example.com"]}
    # Monday afternoon: checked in at 14 and never out (the nightly close has not run).
    plan_clock.at_local(14, 5)
    assert (await check_in(client, liva, at=local(14)))["__typename"] == "PresenceChanged"
    # Tuesday: tablet B's check-out of 9:00 reaches the server before tablet A's check-in of
    # 8:00. Monday's stay is not the one it ends (children do not stay overnight): refused.
    plan_clock.at_local(10, 30, offset_days=1)
    went = new_event()
    early = await check_out(client, liva, at=local(9, 0, 1), event=went, picked_up_by=mother)
    assert (early["code"], early["field"]) == ("CONFLICT", "childId"), early
    assert await history(client, liva) == [("Mon 14:00", None, False)]
    came = await check_in(client, liva, at=local(8, 0, 1))
    assert came["__typename"] == "PresenceChanged", came
    # B retries the same event: now it finds its stay, and is applied once.
    retried = await check_out(client, liva, at=local(9, 0, 1), event=went, picked_up_by=mother)
    assert retried["replayed"] is False and retried["presence"]["id"] == came["presence"]["id"]
    again = await check_out(client, liva, at=local(9, 0, 1), event=went, picked_up_by=mother)
    assert again["replayed"] is True and again["event"] == retried["event"]
    # Monday's stay was closed by an estimate (closing time) when Tuesday's began.
    assert await history(client, liva) == [
        ("Mon 14:00", "Mon 17:00", True),
        ("Tue 08:00", "Tue 09:00", False),
    ]


async def test_a_late_check_in_placed_before_a_recorded_stay_can_be_undone(client, plan_clock):
    f = await family(client)
    liva = f["liva"]
    plan_clock.at_local(10, 30)
    await check_in(client, liva, at=local(10))
    late = await check_in(client, liva, at=local(8))
    assert late["presence"]["checkoutEstimated"] is True
    undone = await client.gql(
        "UndoPresenceEvent",
        {"eventId": new_event(), "targetEventId": late["event"]["id"]},
        as_=SOLSIKKEN_ADMIN,
    )
    assert undone["undoPresenceEvent"]["__typename"] == "PresenceChanged", undone
    assert undone["undoPresenceEvent"]["presence"] is None
    assert await history(client, liva) == [("Mon 10:00", None, False)]


async def test_a_late_check_in_of_yesterday_is_closed_by_that_days_closing_time(client, plan_clock):
    f = await family(client)
    liva = f["liva"]
    plan_clock.at_local(10, 30, offset_days=1)
    assert (await check_in(client, liva, at=local(8, 0, 1)))["__typename"] == "PresenceChanged"
    # Monday's check-in at 14 arrives on Tuesday (within 24 hours), its check-out never does:
    # the stay does not run overnight into Tuesday's, it ends at Monday's closing, estimated,
    # and staff are asked to confirm it.
    late = await check_in(client, liva, at=local(14))
    assert late["__typename"] == "PresenceChanged", late
    assert await history(client, liva) == [
        ("Mon 14:00", "Mon 17:00", True),
        ("Tue 08:00", None, False),
    ]
    unconfirmed = await client.gql(
        "UnconfirmedCheckouts", {"institutionId": f["institution"]}, as_=PERNILLE
    )
    assert [p["id"] for p in unconfirmed["unconfirmedCheckouts"]] == [late["presence"]["id"]]
