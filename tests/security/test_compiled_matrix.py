"""The security matrix's rows for the compiled trusted documents (Me, Inbox, GroupDay, ChildDay),
run against both paths: every outsider of the messaging matrix (strangers of another institution, another
family's guardian, the co-parent without custody on a sensitive thread), a paired device, and
every dead session get byte for byte the answer the resolvers give, and that answer hides what
it must. (The rest of the matrix runs with compiled documents on, the default, as well.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from app.core.runtime import Runtime
from tests.client import GraphQLClient
from tests.compiled_pair import Pair, compiled_count, compiled_pair
from tests.conftest import is_postgres
from tests.security.matrix import dead_sessions
from tests.security.test_messaging_matrix import _fixture, _outsiders

pytestmark = pytest.mark.skipif(not is_postgres(), reason="compiled documents run on PostgreSQL")


@pytest.fixture
async def pair(client: GraphQLClient, runtime: Runtime) -> AsyncIterator[Pair]:
    async with compiled_pair(client, runtime) as both:
        yield both


def _threads(answer: bytes) -> set[str]:
    data = msgspec.json.decode(answer)["data"]
    return {edge["node"]["id"] for edge in data["inbox"]["edges"]}


async def test_outsiders_get_the_same_refusals_on_both_paths(pair: Pair) -> None:
    from tests.attendance.presence_support import pair as pair_tablet

    f = await _fixture(pair.on)
    tablet = (await pair_tablet(pair.on, "KIOSK"))["token"]
    callers: list[dict[str, Any]] = [{"as_": who} for who in _outsiders(f)]
    callers.append({"token": tablet})
    before = compiled_count("Inbox")
    for who in callers:
        for variables in ({"first": 30}, {"first": 5}, {"unread": True}, {"archived": True}):
            answer = await pair.same("Inbox", variables, **who)
            assert f["thread"] not in _threads(answer), who
        me = msgspec.json.decode(await pair.same("Me", {}, **who))["data"]["me"]
        assert me is not None
    assert compiled_count("Inbox") - before == 4 * len(callers)


async def test_dead_sessions_are_unauthenticated_on_both_paths(pair: Pair) -> None:
    f = await _fixture(pair.on)
    for token in await dead_sessions(pair.on):
        for operation, variables in (
            ("Me", {}),
            ("Inbox", {"first": 5}),
            ("Inbox", {"childId": f["d"].child("Liva Holm-Jensen")}),
        ):
            answer = msgspec.json.decode(await pair.same(operation, variables, token=token))
            assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_day_documents_refuse_outsiders_alike_on_both_paths(pair: Pair) -> None:
    """GroupDay and ChildDay (compiled too): another institution's admin and staff, another
    family's guardian, a guardian with information only, a bare tablet get null for Liva's
    group and day, byte for byte as the resolvers; dead sessions are UNAUTHENTICATED."""
    from datetime import date

    from tests.attendance.presence_support import pair as pair_tablet

    f = await _fixture(pair.on)
    d = f["d"]
    liva = d.child("Liva Holm-Jensen")
    group = d.groups["Bjørnene"]
    today = date.today().isoformat()
    tablet = (await pair_tablet(pair.on, "KIOSK"))["token"]
    callers: list[dict[str, Any]] = [
        {"as_": who} for who in _outsiders(f) if who != "jonas@example.com"
    ]
    callers.append({"token": tablet})
    before = compiled_count("GroupDay") + compiled_count("ChildDay")
    for who in callers:
        answer = msgspec.json.decode(await pair.same("GroupDay", {"groupId": group}, **who))
        assert answer["data"]["groupDay"] is None, who
        variables = {"child": liva, "date": today}
        answer = msgspec.json.decode(await pair.same("ChildDay", variables, **who))
        assert answer["data"]["childDay"] is None, who
    assert compiled_count("GroupDay") + compiled_count("ChildDay") - before == 2 * len(callers)
    # Jonas (information only) as the resolvers answer him, whatever that is.
    await pair.same("GroupDay", {"groupId": group}, as_="jonas@example.com")
    await pair.same("ChildDay", {"child": liva, "date": today}, as_="jonas@example.com")
    for token in await dead_sessions(pair.on):
        for operation, variables in (
            ("GroupDay", {"groupId": group}),
            ("ChildDay", {"child": liva, "date": today}),
        ):
            answer = msgspec.json.decode(await pair.same(operation, variables, token=token))
            assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
