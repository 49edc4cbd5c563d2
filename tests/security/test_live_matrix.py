"""The security matrix of subscriptions, in process: the named documents of graphql/operations/
run through the schema the server uses, with the test's runtime (its in-process broker and
rolled-back connection). A stranger's subscribe is refused before anything is listened to; a
subscriber hears nothing of another family's child; a dead session is UNAUTHENTICATED."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from app.root.context import Context
from app.root.schema import build_schema
from tests.attendance.plan_helpers import raw_uuid
from tests.attendance.presence_support import check_in, liva
from tests.helpers import SOLSIKKEN_ADMIN, group_id, overview
from tests.security.matrix import STRANGERS, dead_sessions, other_family_guardian

PERNILLE = "pernille@solsikken.example"
METTE = "mette@example.com"


@pytest.fixture
def schema(settings):
    return build_schema(settings)


@asynccontextmanager
async def _subscribed(
    schema, runtime, operation: str, variables: dict[str, Any], token: str | None
) -> AsyncIterator[AsyncGenerator[Any, None]]:
    """The subscription as the websocket transport runs it: one context, a session of its own."""
    async with runtime.sessions() as db:
        context = Context(runtime=runtime, db=db, request_id="matrix", token=token)
        results = await schema.subscribe(
            None, variable_values=variables, context_value=context, operation_name=operation
        )
        try:
            yield results
        finally:
            await results.aclose()


async def _first(results: AsyncGenerator[Any, None], timeout: float = 5) -> Any:
    """The first result, or None when the subscription ended without one."""
    try:
        return await asyncio.wait_for(anext(results), timeout)
    except StopAsyncIteration:
        return None


def _code(result: Any) -> str | None:
    errors = getattr(result, "errors", None)
    if not errors:
        return None
    extensions = errors[0].extensions or {}
    code: str | None = extensions.get("code")
    return code


async def _refused(schema, runtime, client, operation, variables, actors) -> None:
    for actor in actors:
        token = await client.token_for(actor)
        async with _subscribed(schema, runtime, operation, variables, token) as results:
            result = await _first(results)
            assert result is not None and result.errors, (operation, actor, result)
            assert result.data is None, (operation, actor, result.data)
            assert _code(result) == "NOT_FOUND", (operation, actor, result.errors)


async def _subscriptions(client) -> list[tuple[str, dict[str, Any]]]:
    """Every subscription of the schema, aimed at something of Solsikken's (Liva, Bjørnene,
    a staff-only thread)."""
    child = (await liva(client))["id"]
    bears = await group_id(client, SOLSIKKEN_ADMIN, "Bjørnene")
    node = await overview(client, SOLSIKKEN_ADMIN, first=1)
    started = await client.gql(
        "StartThread",
        {
            "input": {
                "institutionId": node["id"],
                "subject": "Intern",
                "body": "Kun for personalet",
                "recipients": {"groupStaff": [bears]},
            }
        },
        as_=PERNILLE,
    )
    thread = started["startThread"]["threads"][0]["id"]
    return [
        ("GroupDayChanged", {"groupId": bears}),
        ("ChildDayChanged", {"child": child}),
        ("ThreadMessages", {"threadId": thread}),
        ("MyChildPresenceChanged", {}),
        ("InboxEvents", {}),
    ]


async def test_a_strangers_subscribe_is_refused(client, runtime, schema):
    targets = dict(await _subscriptions(client))
    family = await other_family_guardian(client)
    await _refused(
        schema,
        runtime,
        client,
        "GroupDayChanged",
        targets["GroupDayChanged"],
        [*STRANGERS, METTE, family],
    )
    await _refused(
        schema, runtime, client, "ChildDayChanged", targets["ChildDayChanged"], [*STRANGERS, family]
    )
    await _refused(
        schema,
        runtime,
        client,
        "ThreadMessages",
        targets["ThreadMessages"],
        [*STRANGERS, METTE, family],
    )


async def test_every_subscription_needs_a_live_session(client, runtime, schema):
    for operation, variables in await _subscriptions(client):
        for token in await dead_sessions(client):
            async with _subscribed(schema, runtime, operation, variables, token) as results:
                result = await _first(results)
                assert _code(result) == "UNAUTHENTICATED", (operation, token, result)


async def _listening(runtime, channel: str) -> None:
    """Until the subscription listens: only then may anything else use the connection."""
    for _ in range(500):
        if runtime.broker.subscriber_count(channel):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"nobody listens on {channel}")


@asynccontextmanager
async def _waiting(results: AsyncGenerator[Any, None]) -> AsyncIterator[asyncio.Future[Any]]:
    """The first result, awaited in the background (cancelled if the test ends first)."""
    pending = asyncio.ensure_future(_first(results))
    try:
        yield pending
    finally:
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pending


async def test_the_tablet_hears_its_group_and_a_parent_only_her_own_child(client, runtime, schema):
    """The refusals above are not the harness failing: the owners do hear, and another
    family's parent, subscribed meanwhile, hears only of her own child."""
    child = await liva(client)
    bears = await group_id(client, SOLSIKKEN_ADMIN, "Bjørnene")
    node = await overview(client, SOLSIKKEN_ADMIN)
    frog = next(
        e["node"] for e in node["children"]["edges"] if e["node"]["group"]["name"] == "Frøerne"
    )
    tablet = await client.token_for(PERNILLE)
    other_parent = await client.token_for(frog["guardians"][0]["email"])
    async with (
        _subscribed(schema, runtime, "GroupDayChanged", {"groupId": bears}, tablet) as group,
        _subscribed(schema, runtime, "MyChildPresenceChanged", {}, other_parent) as theirs,
        _waiting(group) as group_heard,
    ):
        # One after the other: both share the test's connection, and so its savepoints.
        await _listening(runtime, f"presence-group:{raw_uuid(bears)}")
        async with _waiting(theirs) as they_heard:
            await _listening(runtime, f"presence-child:{raw_uuid(frog['id'])}")
            assert (await check_in(client, child["id"]))["__typename"] == "PresenceChanged"
            row = (await group_heard).data["groupDayChanged"]
            assert row["child"]["id"] == child["id"] and row["status"] == "PRESENT"
            await asyncio.sleep(0.05)
            assert not they_heard.done(), they_heard.result()  # nothing of Liva
            came = await check_in(client, frog["id"], as_=SOLSIKKEN_ADMIN)
            assert came["__typename"] == "PresenceChanged"
            mine = (await they_heard).data["myChildPresenceChanged"]
            assert mine["child"]["id"] == frog["id"]


async def test_a_subscriptions_errors_are_shaped_like_every_others():
    """A resolver's domain error gets its code, an unexpected one is masked: a subscription's
    results stream past ErrorPolicy's on_operation, so SeddelSchema.stream shapes them."""
    import strawberry

    from app.api.errors import ErrorPolicy
    from app.core.errors import NotFound
    from app.root.schema import SeddelSchema

    @strawberry.type
    class Query:
        ping: bool = True

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def missing(self) -> AsyncGenerator[int, None]:
            raise NotFound(field="groupId")
            yield 0

        @strawberry.subscription
        async def broken(self) -> AsyncGenerator[int, None]:
            raise RuntimeError("password=hunter2 in a failed statement")
            yield 0

    schema = SeddelSchema(query=Query, subscription=Subscription, extensions=[ErrorPolicy])
    missing = await _first(await schema.subscribe("subscription { missing }"))
    assert missing.errors[0].extensions == {
        "code": "NOT_FOUND",
        "field": "groupId",
        "reason": "NOT_FOUND",
        "retryable": False,
    }
    broken = await _first(await schema.subscribe("subscription { broken }"))
    assert broken.errors[0].extensions["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in broken.errors[0].message
