"""The yearly move-up (oprykning) and leaving: proposals by a birth-date cut-off, plans an admin
approves for a date, undo before the date, and the worker applying them on that date (not
before, once) with the guardians' threads following as they do for moveChild."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.api.ids import decode
from app.core.errors import ValidationFailed
from app.db import utcnow
from app.institutions.models import Child
from app.institutions.service.moves import cut_off_date
from app.ops.jobs import JobContext
from app.root.jobs import PERIODIC_JOBS
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN
from tests.messaging.util import PERNILLE, admin, demo, scoped, send, started, thread
from tests.privacy.test_audit_trail import Watch

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def _today() -> date:
    return datetime.now(COPENHAGEN).date()


def _years_before(day: date, years: int) -> date:
    return (
        day.replace(year=day.year - years)
        if (day.month, day.day) != (2, 29)
        else date(day.year - years, 3, 1)
    )


async def _child(client, group: str, first_name: str, birth_date: date) -> str:
    made = await admin(
        client,
        "CreateChild",
        {
            "input": {
                "groupId": group,
                "firstName": first_name,
                "lastName": "Oprykker",
                "birthDate": birth_date.isoformat(),
            }
        },
    )
    return str(made["id"])


async def _plan(client, institution: str, on: date, moves: list[dict[str, Any]], as_=None):
    data = await client.gql(
        "PlanGroupMoves",
        {"institutionId": institution, "effectiveOn": on.isoformat(), "moves": moves},
        as_=as_ or SOLSIKKEN_ADMIN,
    )
    result: dict[str, Any] = data["planGroupMoves"]
    return result


async def _plans(client, institution: str, include_done: bool = False) -> list[dict[str, Any]]:
    data = await client.gql(
        "PlannedGroupMoves",
        {"institutionId": institution, "includeDone": include_done},
        as_=SOLSIKKEN_ADMIN,
    )
    rows: list[dict[str, Any]] = data["plannedGroupMoves"]
    return rows


async def _stored(runtime, institution: str, child: str) -> Child:
    async with scoped(runtime, institution) as db:
        row = await db.get(Child, decode(child, "Child", field="x"))
        assert row is not None
        return row


def _job_at(runtime, days: int):  # type: ignore[no-untyped-def]
    job = next(j for j in PERIODIC_JOBS if j.name == "group-moves")
    assert job.audited, "the move-up's writes are in the audit trail"
    context = JobContext(
        sessions=runtime.sessions,
        storage=runtime.storage,
        settings=runtime.settings,
        now=utcnow() + timedelta(days=days),
        audited_as=job.name,  # as app.ops.jobs.run_due_jobs runs it
    )
    return job.run(context)


async def test_proposals_follow_the_cut_off_and_save_nothing(client):
    d = await demo(client)
    on = _today() + timedelta(days=30)
    cut_off = _years_before(on, 3)
    old = await _child(client, d.groups["Bjørnene"], "Ældre", cut_off - timedelta(days=10))
    young = await _child(client, d.groups["Bjørnene"], "Yngre", cut_off + timedelta(days=10))
    variables = {
        "fromGroupId": d.groups["Bjørnene"],
        "toGroupId": d.groups["Myrerne"],
        "effectiveOn": on.isoformat(),
        "turningAge": 3,
        "turningBefore": on.isoformat(),
    }
    proposals = (await client.gql("ProposeGroupMoves", variables, as_=SOLSIKKEN_ADMIN))[
        "proposeGroupMoves"
    ]
    proposed = {p["child"]["id"] for p in proposals}
    assert old in proposed and young not in proposed
    assert all(date.fromisoformat(p["child"]["birthDate"]) < cut_off for p in proposals)
    assert {(p["fromGroup"]["name"], p["toGroup"]["name"]) for p in proposals} == {
        ("Bjørnene", "Myrerne")
    }
    assert not any(p["alreadyPlanned"] for p in proposals)
    assert await _plans(client, d.institution) == []  # nothing saved
    # The same cut-off as a birth date; planned children are marked.
    await _plan(client, d.institution, on, [{"childId": old, "toGroupId": d.groups["Myrerne"]}])
    by_date = {**variables, "bornBefore": cut_off.isoformat()}
    del by_date["turningAge"], by_date["turningBefore"]
    again = (await client.gql("ProposeGroupMoves", by_date, as_=SOLSIKKEN_ADMIN))[
        "proposeGroupMoves"
    ]
    assert {p["child"]["id"] for p in again} == proposed
    assert [p["child"]["id"] for p in again if p["alreadyPlanned"]] == [old]
    # Both cut-offs at once is refused.
    both = await client.execute(
        "ProposeGroupMoves",
        {**variables, "bornBefore": "2020-01-01"},
        token=await client.token_for(SOLSIKKEN_ADMIN),
    )
    assert both["errors"][0]["extensions"]["code"] == "INVALID"


async def test_the_worker_applies_the_move_up_on_its_date_not_before_and_once(
    client, runtime, assert_max_queries
):
    d = await demo(client)
    moving = d.other_bjornene_family()
    guardian = moving["guardians"][0]
    leaving = await _child(client, d.groups["Myrerne"], "Afgang", _today() - timedelta(days=1500))
    (broadcast,) = await started(
        client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]}, body="Før"
    )
    on = _today() + timedelta(days=3)
    planned = await _plan(
        client,
        d.institution,
        on,
        [
            {"childId": moving["id"], "toGroupId": d.groups["Myrerne"]},
            {"childId": leaving},
        ],
    )
    assert planned["__typename"] == "PlannedGroupMoves", planned
    assert {(m["child"]["id"], m["leaves"], m["state"]) for m in planned["moves"]} == {
        (moving["id"], False, "APPROVED"),
        (leaving, True, "APPROVED"),
    }
    assert all(m["plannedByName"] for m in planned["moves"])

    # Not before the date.
    assert await _job_at(runtime, 0) == 0
    assert await _job_at(runtime, 2) == 0
    assert (await _stored(runtime, d.institution, moving["id"])).group_id == decode(
        d.groups["Bjørnene"], "Group", field="x"
    )
    assert (await _stored(runtime, d.institution, leaving)).active_until is None
    staff_view = await thread(client, PERNILLE, broadcast["id"])
    assert staff_view is not None
    assert not next(
        p["hasLeft"] for p in staff_view["participants"] if p["name"] == guardian["name"]
    )

    # On the date: moved, left, and the guardian's group broadcast follows as for moveChild;
    # the audit trail has both, as the worker's (SYSTEM).
    async with Watch(runtime, client) as trail:
        with assert_max_queries(16):  # the same for 5 or 24 plans (measured: 11 SQLite, 15 PG)
            assert await _job_at(runtime, 3) == 2
    roster = [r for r in trail.rows if r.kind == "roster"]
    assert {(r.email, r.role, r.action, r.operation) for r in roster} == {
        (None, "SYSTEM", "update", "group-moves")
    }
    assert {r.child_id for r in roster} == {
        decode(moving["id"], "Child", field="x"),
        decode(leaving, "Child", field="x"),
    }
    assert any(r.after and "group_id" in r.after for r in roster)
    assert any(r.after and "active_until" in r.after for r in roster)
    assert (await _stored(runtime, d.institution, moving["id"])).group_id == decode(
        d.groups["Myrerne"], "Group", field="x"
    )
    assert (await _stored(runtime, d.institution, leaving)).active_until == on - timedelta(days=1)
    staff_view = await thread(client, PERNILLE, broadcast["id"])
    assert staff_view is not None
    assert next(p["hasLeft"] for p in staff_view["participants"] if p["name"] == guardian["name"])
    refused = await send(client, guardian["email"], broadcast["id"], "Hej")
    assert refused["code"] == "INVALID"
    # Once: a second run finds nothing; the plans are listed as done.
    assert await _job_at(runtime, 3) == 0 and await _job_at(runtime, 4) == 0
    assert await _plans(client, d.institution) == []
    done = await _plans(client, d.institution, include_done=True)
    assert {m["state"] for m in done} == {"APPLIED"} and all(m["appliedAt"] for m in done)
    moved = next(m for m in done if m["child"]["id"] == moving["id"])
    assert (moved["fromGroup"]["name"], moved["toGroup"]["name"]) == ("Bjørnene", "Myrerne")


async def test_undo_before_the_date(client, runtime):
    d = await demo(client)
    child = d.other_bjornene_family()["id"]
    on = _today() + timedelta(days=2)
    planned = await _plan(
        client, d.institution, on, [{"childId": child, "toGroupId": d.groups["Frøerne"]}]
    )
    (move,) = planned["moves"]
    undone = await client.gql(
        "CancelGroupMoves",
        {"institutionId": d.institution, "moveIds": [move["id"]]},
        as_=SOLSIKKEN_ADMIN,
    )
    assert undone["cancelGroupMoves"] == {"__typename": "GroupMovesCancelled", "cancelled": 1}
    assert await _plans(client, d.institution, include_done=True) == []
    assert await _job_at(runtime, 2) == 0
    assert (await _stored(runtime, d.institution, child)).group_id == decode(
        d.groups["Bjørnene"], "Group", field="x"
    )
    # Once applied, a plan is history: it cannot be undone.
    (move,) = (
        await _plan(
            client, d.institution, on, [{"childId": child, "toGroupId": d.groups["Frøerne"]}]
        )
    )["moves"]
    assert await _job_at(runtime, 2) == 1
    late = await client.gql(
        "CancelGroupMoves",
        {"institutionId": d.institution, "moveIds": [move["id"]]},
        as_=SOLSIKKEN_ADMIN,
    )
    assert late["cancelGroupMoves"]["reason"] == "MOVE_NO_LONGER_CANCELLABLE"


async def test_plan_rules(client):
    d = await demo(client)
    child = d.other_bjornene_family()["id"]
    liva = d.child("Liva Holm-Jensen")
    on = _today() + timedelta(days=10)
    to_myrerne = {"childId": child, "toGroupId": d.groups["Myrerne"]}

    today = await _plan(client, d.institution, _today(), [to_myrerne])
    assert (today["code"], today["reason"]) == ("INVALID", "MOVE_DATE_NOT_FUTURE")
    # The same plan again is the same plan.
    first = await _plan(client, d.institution, on, [to_myrerne])
    again = await _plan(client, d.institution, on, [to_myrerne])
    assert [m["id"] for m in first["moves"]] == [m["id"] for m in again["moves"]]
    assert len(await _plans(client, d.institution)) == 1
    # Refused per move, and nothing of the call is saved.
    refused = await _plan(
        client,
        d.institution,
        on,
        [
            {"childId": liva, "toGroupId": d.groups["Myrerne"]},  # fine on its own
            {"childId": child, "toGroupId": d.groups["Frøerne"]},  # another plan that day
            {"childId": liva, "toGroupId": d.regnbuen_groups[next(iter(d.regnbuen_groups))]},
            {"childId": liva, "toGroupId": d.groups["Bjørnene"]},
        ],
    )
    assert refused["__typename"] == "ChildrenRefusedError", refused
    assert [(c["index"], c["error"]["reason"]) for c in refused["children"]] == [
        (1, "MOVE_ALREADY_PLANNED"),
        (2, "MOVE_CHILD_TWICE"),
        (3, "MOVE_CHILD_TWICE"),
    ]
    alone = await _plan(
        client, d.institution, on, [{"childId": liva, "toGroupId": d.groups["Bjørnene"]}]
    )
    assert alone["children"][0]["error"]["reason"] == "MOVE_ALREADY_IN_GROUP"
    other = await _plan(
        client,
        d.institution,
        on,
        [{"childId": liva, "toGroupId": d.regnbuen_groups[next(iter(d.regnbuen_groups))]}],
    )
    assert other["children"][0]["error"]["code"] == "NOT_FOUND"
    assert len(await _plans(client, d.institution)) == 1
    # Another institution's admin is refused outright.
    stranger = await _plan(client, d.institution, on, [to_myrerne], as_=REGNBUEN_ADMIN)
    assert stranger["code"] == "NOT_FOUND"


async def test_the_list_of_plans_is_bounded(client, assert_max_queries):
    d = await demo(client)
    on = _today() + timedelta(days=5)
    children = [c["id"] for c in d.bjornene_children()]
    await _plan(
        client,
        d.institution,
        on,
        [{"childId": c, "toGroupId": d.groups["Myrerne"]} for c in children],
    )
    await client.token_for(SOLSIKKEN_ADMIN)
    with assert_max_queries(6):
        rows = await _plans(client, d.institution)
    assert len(rows) == len(children) > 1
    assert {r["toGroup"]["name"] for r in rows} == {"Myrerne"}


def test_the_cut_off_of_turning_an_age_before_a_day():
    def by_age(age: int, before: date) -> date:
        return cut_off_date(born_before=None, turning_age=age, turning_before=before)

    assert by_age(3, date(2027, 8, 1)) == date(2024, 8, 1)
    # Turning 3 before 29 February 2028: 29 February 2025 does not exist, so born before
    # 1 March 2025 (someone born 28 February 2025 turns 3 on 28 February 2028).
    assert by_age(3, date(2028, 2, 29)) == date(2025, 3, 1)
    assert cut_off_date(born_before=date(2024, 1, 1), turning_age=None, turning_before=None) == (
        date(2024, 1, 1)
    )
    for wrong in (
        {"born_before": None, "turning_age": None, "turning_before": None},
        {"born_before": date(2024, 1, 1), "turning_age": 3, "turning_before": None},
        {"born_before": None, "turning_age": 3, "turning_before": None},
        {"born_before": None, "turning_age": 3, "turning_before": date(2, 1, 1)},
        {"born_before": None, "turning_age": 40, "turning_before": date(2027, 1, 1)},
    ):
        with pytest.raises(ValidationFailed):
            cut_off_date(**wrong)  # type: ignore[arg-type]
