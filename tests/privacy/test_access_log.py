"""The access log: staff reads leave rows, a guardian's read of their own child leaves none,
and who may read the log (custody holders, admins) reads it per day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.privacy.accesslog.models import AccessKind
from tests.daybook.helpers import (
    JONAS,
    KARSTEN,
    LIVA,
    METTE,
    PERNILLE,
    record,
    solsikken,
    yesterday,
)
from tests.daybook.helpers import day_of as child_day
from tests.helpers import SOLSIKKEN_ADMIN
from tests.privacy.common import LogWatch, child_uuid

SINCE = (datetime.now(UTC) - timedelta(days=1)).isoformat()


@pytest.fixture
async def liva(client) -> str:
    world = await solsikken(client)
    await record(client, world["liva"], {"note": {"text": "Sov godt"}})
    return str(world["liva"])


async def test_staff_reading_a_childs_day_leaves_one_row(client, runtime, liva):
    async with LogWatch(runtime, client) as watch:
        await child_day(client, liva, as_=PERNILLE)
    assert watch.rows == [(PERNILLE, child_uuid(liva), AccessKind.DAY_ENTRIES, "STAFF", "ChildDay")]


async def test_reading_twice_in_one_request_is_one_row_and_each_request_its_own(
    client, runtime, liva
):
    async with LogWatch(runtime, client) as watch:
        await child_day(client, liva, as_=PERNILLE)
        await child_day(client, liva, as_=PERNILLE)
    assert len(watch.rows) == 2  # two requests, one row each


async def test_a_guardian_reading_their_own_child_leaves_no_row(client, runtime, liva):
    async with LogWatch(runtime, client) as watch:
        assert await child_day(client, liva, as_=METTE) is not None
        assert await child_day(client, liva, as_=JONAS) is not None
    assert watch.rows == []


async def test_a_refused_read_leaves_no_row(client, runtime, liva):
    async with LogWatch(runtime, client) as watch:
        assert await child_day(client, liva, as_="lars@regnbuen.example") is None
    assert watch.rows == []


async def test_the_log_switched_off_writes_nothing(client, runtime, liva, monkeypatch):
    from dataclasses import replace

    monkeypatch.setattr(runtime, "settings", replace(runtime.settings, access_log=False))
    async with LogWatch(runtime, client) as watch:
        await child_day(client, liva, as_=PERNILLE)
    assert watch.rows == []


async def _log(client, child, *, as_, person=None):
    variables = {"childId": child, "since": SINCE}
    if person is not None:
        variables["personId"] = person
    data = await client.gql("ChildAccessLog", variables, as_=as_)
    return data["childAccessLog"]


async def test_a_custody_holder_sees_who_read_what_per_day(client, liva):
    await child_day(client, liva, as_=PERNILLE)
    await child_day(client, liva, as_=PERNILLE)
    await child_day(client, liva, as_=SOLSIKKEN_ADMIN)
    days = await _log(client, liva, as_=METTE)
    assert len(days) == 1
    accesses = days[0]["accesses"]
    # Only this test's kind: other tests of the session may have read Liva's other data today.
    by_person = {
        (a["personName"], a["role"], a["kind"]): a["requests"]
        for a in accesses
        if a["kind"] == "DAY_ENTRIES"
    }
    assert by_person == {
        ("Pernille Holm", "STAFF", "DAY_ENTRIES"): 2,
        ("Leder af Solsikken", "ADMIN", "DAY_ENTRIES"): 1,
    }
    assert all(a["firstAt"] <= a["lastAt"] for a in accesses)


async def test_the_log_is_for_custody_holders_and_admins_only(client, liva):
    await child_day(client, liva, as_=PERNILLE)
    assert await _log(client, liva, as_=JONAS) is None  # information only
    assert await _log(client, liva, as_=PERNILLE) is None  # staff
    assert await _log(client, liva, as_=KARSTEN) is None
    assert await _log(client, liva, as_="admin@regnbuen.example") is None
    assert await _log(client, liva, as_=SOLSIKKEN_ADMIN)


async def test_an_admin_filters_by_person(client, liva):
    world = await solsikken(client)
    await child_day(client, liva, as_=PERNILLE)
    await child_day(client, world["other_child"], as_=KARSTEN)
    await child_day(client, liva, as_=SOLSIKKEN_ADMIN)
    me = await client.gql("Me", as_=PERNILLE)
    pernille = me["me"]["id"]
    days = await _log(client, liva, as_=SOLSIKKEN_ADMIN, person=pernille)
    assert {a["personName"] for d in days for a in d["accesses"]} == {"Pernille Holm"}
    institution = (await client.gql("Me", as_=SOLSIKKEN_ADMIN))["me"]["institutions"][0]
    data = await client.gql(
        "InstitutionAccessLog",
        {"institutionId": institution["institution"]["id"], "since": SINCE},
        as_=SOLSIKKEN_ADMIN,
    )
    people = {a["personName"] for d in data["institutionAccessLog"] for a in d["accesses"]}
    assert {"Pernille Holm", "Karsten Lund"} <= people
    assert LIVA


async def test_an_answer_never_leaves_without_its_log_row(client, liva, monkeypatch):
    """The log is written in the request's transaction before the response is sent (Litestar
    runs the context's clean-up first): if it cannot be written, the data does not go out.
    So a process killed at any moment has either sent nothing or committed the row."""
    from app.privacy.accesslog.service import recording

    async def unwritable(db):
        raise RuntimeError("the log cannot be written")

    monkeypatch.setattr(recording, "flush", unwritable)
    token = await client.token_for(PERNILLE)
    body = {
        "operationName": "ChildDay",
        "variables": {"child": liva, "date": yesterday().isoformat()},
    }
    try:
        response = await client.http.post(
            "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}
        )
    except RuntimeError:
        return  # the exception reached the client's transport: nothing was sent
    assert response.status_code == 500, response.text
    assert "Sov godt" not in response.text
