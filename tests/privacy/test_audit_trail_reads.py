"""The audit trail as admins read it (`auditTrail`: newest first, paged, by child, person and
time; their read in the access log; refusals with reasons) and what it costs a mutation: one
INSERT for its whole trail and nothing else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from app.core.audit import REDACTED
from app.core.errors import ValidationFailed
from app.privacy.audit.service import recording
from tests.attendance.plan_helpers import family
from tests.client import GraphQLClient
from tests.daybook.helpers import at, yesterday
from tests.privacy.common import LogWatch
from tests.privacy.helpers import PERNILLE
from tests.privacy.test_audit_trail import (
    ADMIN,
    SINCE,
    Fixture,
    Watch,
    _codeword,
    _correct,
    _entry,
    _rename,
)


async def test_admins_page_through_the_trail_by_child_and_person_and_their_read_is_logged(
    client, runtime
):
    # Since this test began: rows another test committed for real (test_presence_live's
    # servers check Liva in as Pernille in this worker's database) are not this test's.
    began = datetime.now(UTC).isoformat()
    f = await family(client)
    await _entry(client, f)
    await _correct(client, f)
    await _codeword(client, f)
    await _rename(client, f)
    variables = {"institutionId": f["institution"], "since": began, "childId": f["liva"]}
    async with LogWatch(runtime, client) as log:
        first = await client.gql("AuditTrail", {**variables, "first": 2}, as_=ADMIN)
    page = first["auditTrail"]
    assert page["pageInfo"]["hasNextPage"]
    newest = [edge["node"] for edge in page["edges"]]
    # Newest first: the rename (the roster, not logged on read), then the codeword.
    assert [(n["kind"], n["action"], n["entityType"]) for n in newest] == [
        ("ROSTER", "UPDATE", "children"),
        ("PICKUP", "CREATE", "pickup_codewords"),
    ]
    assert {c["field"]: (c["before"], c["after"]) for c in newest[0]["changes"]} == {
        "first_name": ('"Liva"', '"Livia"')
    }
    codeword = {c["field"]: c["after"] for c in newest[1]["changes"]}
    assert codeword["codeword"] == f'"{REDACTED}"'
    assert "Blåbær" not in str(first)
    assert newest[0]["personName"] and newest[0]["role"] == "ADMIN"
    assert newest[0]["operation"] == "UpdateChild"
    assert newest[0]["requestId"] not in ("", "-")
    assert [(email, kind, role) for email, _, kind, role, _ in log.rows] == [
        (ADMIN, "pickup", "ADMIN")
    ]
    rest = await client.gql(
        "AuditTrail", {**variables, "first": 100, "after": page["pageInfo"]["endCursor"]}, as_=ADMIN
    )
    older = [edge["node"] for edge in rest["auditTrail"]["edges"]]
    assert [(n["kind"], n["action"]) for n in older[:2]] == [
        ("DAY_ENTRIES", "UPDATE"),
        ("DAY_ENTRIES", "CREATE"),
    ]
    assert not {n["id"] for n in older} & {n["id"] for n in newest}
    # By person: Pernille wrote the day entries, nothing else of these.
    pernille = next(n["personId"] for n in older if n["kind"] == "DAY_ENTRIES")
    hers = await client.gql("AuditTrail", {**variables, "personId": pernille}, as_=ADMIN)
    assert {e["node"]["kind"] for e in hers["auditTrail"]["edges"]} == {"DAY_ENTRIES"}
    # Since: nothing after now.
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    none = await client.gql("AuditTrail", {**variables, "since": later}, as_=ADMIN)
    assert none["auditTrail"]["edges"] == []


async def test_a_bad_page_size_is_refused_with_a_reason_in_danish_and_english(client):
    f = await family(client)
    variables = {"institutionId": f["institution"], "since": SINCE, "first": -1}
    payload = await client.execute("AuditTrail", variables, as_=ADMIN)
    (refused,) = payload["errors"]
    assert refused["extensions"]["reason"] == "INVALID_PAGE_SIZE", refused
    assert refused["message"] == "first skal være mellem 0 og 100.", refused
    english = ValidationFailed("invalid_page_size", field="first", max=100).message("en")
    assert english == "first must be between 0 and 100."


# --- the statement budget: one INSERT per mutation request ---------------------------------


async def _group_lunch(client: GraphQLClient, f: Fixture, hour: int) -> None:
    done = await client.gql(
        "RecordGroupEntries",
        {
            "input": {
                "groupId": f["bears_group"],
                "day": yesterday().isoformat(),
                "at": at(hour, 0),
                "details": {"meal": {"meal": "LUNCH", "amount": "WELL"}},
            }
        },
        as_=PERNILLE,
    )
    assert done["recordGroupEntries"]["__typename"] == "GroupEntries", done


async def _rename_to(client: GraphQLClient, f: Fixture, hour: int) -> None:
    done = await client.gql(
        "UpdateChild", {"input": {"childId": f["liva"], "firstName": f"Liva {hour}"}}, as_=ADMIN
    )
    assert done["updateChild"]["__typename"] == "Child", done


# Statements besides the audit INSERT, which is counted apart (SQLite; PostgreSQL runs one fewer:
# no separate BEGIN). The same with the trail switched off: the trail adds nothing else.
BUDGET: dict[str, tuple[Callable[[GraphQLClient, Fixture, int], Awaitable[None]], int]] = {
    "group lunch": (_group_lunch, 10),
    "rename": (_rename_to, 5),
}


@pytest.mark.parametrize("step", sorted(BUDGET))
async def test_a_mutation_pays_one_insert_for_its_whole_trail(
    client, runtime, assert_max_queries, monkeypatch, step
):
    f = await family(client)
    write, limit = BUDGET[step]
    await client.token_for(PERNILLE)
    await client.token_for(ADMIN)
    async with Watch(runtime, client) as new:
        with assert_max_queries(limit) as audited:
            await write(client, f, 12)
    assert len(audited.audit_writes) == 1, audited.audit_writes
    # Every child of the group gets an entry: one row each, in that one INSERT.
    assert len(new.rows) == (len(f["bears"]) if step == "group lunch" else 1)
    assert len({row.operation for row in new.rows}) == 1
    # The same write without the trail (no audit scope on the request's session).
    monkeypatch.setattr(recording, "begin", lambda *args, **kwargs: None)
    with assert_max_queries(limit) as plain:
        await write(client, f, 13)
    assert plain.audit_writes == []
    assert audited.count == plain.count, (audited.statements, plain.statements)
