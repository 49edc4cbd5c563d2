"""Compiled trusted documents (app/api/compiled.py) answer byte for byte as the resolvers do: every
compiled document, for every demo actor and bench-like actors (a guardian of two institutions,
an admin, staff, a paired device), with every variable shape the apps use; the same HTTP
request runs once with compiled documents on and once with them off."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from app.core.runtime import Runtime
from app.ops.demo import DEMO_LOGINS
from app.server import create_app
from tests.client import GraphQLClient
from tests.conftest import is_postgres
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import KARSTEN, LARS, METTE, PERNILLE, demo, send, started

pytestmark = pytest.mark.skipif(not is_postgres(), reason="compiled documents run on PostgreSQL")

DEMO = [login.email for login in DEMO_LOGINS]


class Pair:
    """Two clients over one database: compiled documents on, and off."""

    def __init__(self, on: GraphQLClient, off: httpx.AsyncClient) -> None:
        self.on = on
        self.off = off

    async def both(
        self,
        body: dict[str, Any],
        token: str | None,
        headers: dict[str, str] | None = None,
    ) -> tuple[bytes, bytes]:
        sent = {**(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        compiled = await self.on.http.post("/graphql", json=body, headers=sent)
        resolved = await self.off.post("/graphql", json=body, headers=sent)
        return compiled.content, resolved.content

    async def same(
        self,
        operation: str,
        variables: dict[str, Any],
        *,
        as_: str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        if as_ is not None:
            token = await self.on.token_for(as_)
        body = {"operationName": operation, "variables": variables}
        compiled, resolved = await self.both(body, token, headers)
        assert compiled == resolved, (operation, variables, as_, compiled, resolved)
        return compiled


@pytest.fixture
async def pair(client: GraphQLClient, runtime: Runtime) -> AsyncIterator[Pair]:
    off_settings = dataclasses.replace(runtime.settings, compiled_documents=False)
    off_runtime = dataclasses.replace(runtime, settings=off_settings)
    transport = httpx.ASGITransport(
        app=create_app(runtime=off_runtime), client=("127.0.0.1", 50001)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as off:
        yield Pair(client, off)


async def test_me_for_every_demo_actor(pair: Pair) -> None:
    before = compiled_count("Me")
    for email in DEMO:
        answer = await pair.same("Me", {}, as_=email)
        assert b'"me":{' in answer
    assert compiled_count("Me") - before == len(DEMO)
    assert compiled_count("Me", "fallback") == 0


async def _messaging(client: GraphQLClient) -> dict[str, Any]:
    """Threads of every kind the inbox shows: to a family, sensitive, a broadcast hiding its
    recipients and one replying to all, from a shared inbox, to the institution inbox, in
    another institution, one archived, one whose last message is deleted, an unread one."""
    d = await demo(client)
    liva = d.child("Liva Holm-Jensen")
    bjornene = d.groups["Bjørnene"]
    (family,) = await started(client, PERNILLE, d.institution, {"children": [liva]})
    await send(client, METTE, family["id"], "Tak, vi husker det 🙂")
    (sensitive,) = await started(
        client, PERNILLE, d.institution, {"children": [liva]}, sensitive=True, subject="Feber"
    )
    await started(client, SOLSIKKEN_ADMIN, d.institution, {"groups": [bjornene]}, subject="Tur")
    await started(
        client, PERNILLE, d.institution, {"groups": [bjornene]}, replyToAll=True, subject="Alle"
    )
    await started(client, SOLSIKKEN_ADMIN, d.institution, {"allGuardians": True}, subject="Jul")
    (shared,) = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [liva]},
        asGroupId=bjornene,
        subject="Fra stuen",
    )
    await started(
        client,
        METTE,
        d.institution,
        {"groupInboxes": [bjornene], "institutionInbox": True},
        subject="Spørgsmål",
    )
    oscar = next(iter(await _regnbuen_children(client)))
    await started(client, LARS, d.regnbuen, {"children": [oscar]}, subject="SFO")
    archived = await send(client, PERNILLE, family["id"], "Og madpakke")
    await client.gql("SetThreadFlags", {"threadId": sensitive["id"], "archived": True}, as_=METTE)
    gone = await send(client, METTE, shared["id"], "Slettes")
    await client.gql("DeleteMessage", {"messageId": gone["id"]}, as_=METTE)
    return {"d": d, "liva": liva, "oscar": oscar, "family": family, "last": archived}


async def _regnbuen_children(client: GraphQLClient) -> list[str]:
    me = await client.gql("Me", as_=METTE)
    return [c["id"] for c in me["me"]["children"] if c["institution"]["name"] == "Regnbuen"]


def _inbox_shapes(f: dict[str, Any]) -> list[dict[str, Any]]:
    d = f["d"]
    return [
        {},
        {"first": 20},
        {"first": None},
        {"first": 0},
        {"first": 1},
        {"first": 3},
        {"first": 100},
        {"first": 3, "after": None},
        {"institutionId": d.institution},
        {"institutionId": d.regnbuen, "first": 5},
        {"childId": f["liva"]},
        {"childId": f["oscar"]},
        {"unread": True},
        {"unread": False},
        {"archived": True},
        {"archived": False, "unread": True, "institutionId": d.institution},
        # Refused by the resolvers: the same errors.
        {"first": 101},
        {"first": -1},
        {"after": "not-a-cursor"},
        {"institutionId": f["liva"]},
        {"childId": "bm9wZQ=="},
        {"archived": None},
    ]


async def test_inbox_for_every_actor_and_variable_shape(pair: Pair) -> None:
    f = await _messaging(pair.on)
    tablet = await pair_device(pair.on)
    actors: list[dict[str, Any]] = [{"as_": email} for email in [*DEMO, KARSTEN]]
    actors.append({"token": tablet})
    before = compiled_count("Inbox")
    for who in actors:
        for variables in _inbox_shapes(f):
            await pair.same("Inbox", variables, **who)
        # Every page by its cursors, as an app scrolls.
        variables: dict[str, Any] = {"first": 2}
        while True:
            answer = msgspec.json.decode(await pair.same("Inbox", variables, **who))
            info = (answer.get("data") or {}).get("inbox", {}).get("pageInfo")
            if not info or not info["hasNextPage"]:
                break
            variables = {"first": 2, "after": info["endCursor"]}
    assert compiled_count("Inbox") > before
    assert compiled_count("Inbox", "fallback") == 0


async def test_inbox_in_english_and_danish(pair: Pair, runtime: Runtime) -> None:
    from sqlalchemy import update

    from app.accounts.models import User

    await _messaging(pair.on)
    for language in ("en", "da"):
        async with runtime.sessions() as db:
            await db.execute(
                update(User).where(User.email == METTE).values(preferred_language=language)
            )
            await db.commit()
        for header in ("en", "da", "fr"):
            await pair.same("Inbox", {}, as_=METTE, headers={"Accept-Language": header})


async def pair_device(client: GraphQLClient) -> str:
    from tests.attendance.presence_support import pair as pair_tablet

    tablet = await pair_tablet(client, "KIOSK")
    token: str = tablet["token"]
    return token


def compiled_count(operation: str, path: str = "compiled") -> float:
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value(
        "seddel_graphql_compiled_total", {"operation": operation, "path": path}
    )
    return value or 0.0
