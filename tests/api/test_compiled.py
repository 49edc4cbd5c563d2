"""Compiled trusted documents (app/api/compiled.py) answer byte for byte as the resolvers do: every
compiled document, for every demo actor and bench-like actors (a guardian of two institutions,
an admin, staff, a paired device), with every variable shape the apps use; the same HTTP
request runs once with compiled documents on and once with them off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from app.core.runtime import Runtime
from app.ops.demo import DEMO_LOGINS
from app.root.schema import COMPILED_DOCUMENTS
from tests.client import GraphQLClient
from tests.compiled_pair import Pair, built_count, compiled_count, compiled_pair
from tests.conftest import is_postgres
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import KARSTEN, LARS, METTE, PERNILLE, demo, send, started

pytestmark = pytest.mark.skipif(not is_postgres(), reason="compiled documents run on PostgreSQL")

DEMO = [login.email for login in DEMO_LOGINS]


@pytest.fixture
async def pair(client: GraphQLClient, runtime: Runtime) -> AsyncIterator[Pair]:
    async with compiled_pair(client, runtime) as both:
        yield both


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


async def test_thread_messages_page_for_every_actor_and_variable_shape(
    pair: Pair, fixed_links: None
) -> None:
    """Threads one reads and threads one does not (null), other nodes and bad IDs, every
    page by its cursors; a page with attachments is left to the resolvers (signed links)."""
    from tests.files import pdf_bytes, upload

    f = await _messaging(pair.on)
    d = f["d"]
    ids = {
        edge["node"]["id"]
        for who in (METTE, PERNILLE, LARS)
        for edge in (await pair.on.gql("Inbox", {"first": 100}, as_=who))["inbox"]["edges"]
    }
    for n in range(5):
        await send(pair.on, METTE, f["family"]["id"], f"Besked {n}")
    attachment = await upload(
        pair.on,
        as_=PERNILLE,
        institution=d.institution,
        purpose="attachment",
        filename="madplan.pdf",
        data=pdf_bytes(),
    )
    (with_file,) = await started(
        pair.on, PERNILLE, d.institution, {"children": [f["liva"]]}, fileIds=[attachment["id"]]
    )
    others = [f["liva"], f["last"]["id"], "bm9wZQ==", d.institution]
    shapes: list[dict[str, Any]] = [
        {},
        {"first": 2},
        {"first": 0},
        {"first": None, "after": None},
        {"first": 101},
        {"after": "nope"},
    ]
    actors: list[dict[str, Any]] = [{"as_": email} for email in [*DEMO, KARSTEN]]
    actors.append({"token": await pair_device(pair.on)})
    before = compiled_count("ThreadMessagesPage")
    for who in actors:
        for thread_id in sorted(ids):
            for shape in shapes:
                await pair.same("ThreadMessagesPage", {"id": thread_id, **shape}, **who)
            variables: dict[str, Any] = {"id": thread_id, "first": 2}
            while True:
                answer = msgspec.json.decode(
                    await pair.same("ThreadMessagesPage", variables, **who)
                )
                node = (answer.get("data") or {}).get("node")
                if not node or not node["messages"]["pageInfo"]["hasNextPage"]:
                    break
                cursor = node["messages"]["pageInfo"]["endCursor"]
                variables = {"id": thread_id, "first": 2, "after": cursor}
        for other in others:
            await pair.same("ThreadMessagesPage", {"id": other}, **who)
        await pair.same("ThreadMessagesPage", {"id": with_file["id"]}, **who)
    assert compiled_count("ThreadMessagesPage") > before
    assert compiled_count("ThreadMessagesPage", "resolvers") > 0
    assert compiled_count("ThreadMessagesPage", "fallback") == 0


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


async def test_every_way_of_naming_the_document_is_compiled(pair: Pair) -> None:
    """By name, by either hash (Apollo Client's form adds __typename below the root: answered
    in place), as Relay's doc_id, as documentId, and by a GET."""
    from app.root.schema import trusted_documents

    await _messaging(pair.on)
    documents = trusted_documents()
    token = await pair.on.token_for(METTE)
    for name, variables in (("Me", {}), ("Inbox", {"first": 3})):
        plain, apollo = documents.by_name(name), documents.apollo_form(name)
        assert plain is not None
        bodies: list[dict[str, Any]] = [
            {"operationName": name, "variables": variables},
            *(
                {"variables": variables, "extensions": _persisted(form.sha256)}
                for form in (plain, apollo)
            ),
            {"doc_id": apollo.sha256, "variables": variables},
            {"documentId": f"sha256:{plain.sha256}", "variables": variables},
        ]
        before = compiled_count(name)
        for body in bodies:
            compiled, resolved = await pair.both(body, token)
            assert compiled == resolved, (body, compiled, resolved)
        assert compiled_count(name) - before == len(bodies)
        typenames = (await pair.both(bodies[2], token))[0]
        assert b'"__typename":' in typenames
    query = {"extensions": msgspec.json.encode(_persisted(documents.hash_of("Me"))).decode()}
    headers = {"Authorization": f"Bearer {token}"}
    got = await pair.on.http.get("/graphql", params=query, headers=headers)
    want = await pair.off.get("/graphql", params=query, headers=headers)
    assert got.content == want.content and b'"me":{' in got.content


def _persisted(sha256: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


async def test_one_statement_after_signing_in(pair: Pair, assert_max_queries: Any) -> None:
    await _messaging(pair.on)
    for operation, variables in (("Me", {}), ("Inbox", {"first": 100})):
        for email in (METTE, SOLSIKKEN_ADMIN):
            await pair.on.token_for(email)
            with assert_max_queries(2):  # the sign-in, then the answer
                await pair.on.gql(operation, variables, as_=email)


async def test_guards_before_execution_hold(pair: Pair, runtime: Runtime) -> None:
    """The text input rule, and a session that is no more: the resolvers' answers."""
    from tests.security.matrix import dead_sessions

    before = compiled_count("Inbox")
    await pair.same("Inbox", {"after": "bad\x00cursor"}, as_=METTE)
    for token in await dead_sessions(pair.on):
        for operation in ("Me", "Inbox"):
            answer = await pair.same(operation, {}, token=token)
            assert b"UNAUTHENTICATED" in answer
    assert compiled_count("Inbox") == before


async def test_the_cost_limit_holds(client: GraphQLClient, runtime: Runtime) -> None:
    import dataclasses

    cheap = dataclasses.replace(runtime.settings, max_query_cost=300)
    limited = dataclasses.replace(runtime, settings=cheap)
    async with GraphQLClient.open(limited) as on, compiled_pair(on, limited) as pair:
        answer = await pair.same("Inbox", {"first": 100}, as_=METTE)
        assert b"QUERY_TOO_COSTLY" in answer
        assert b'"me":{' in await pair.same("Me", {}, as_=METTE)


async def test_a_failing_statement_leaves_the_answer_to_the_resolvers(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import literal_column

    from app.api.compiled import as_text
    from app.institutions.api.compiled import CompiledMe

    monkeypatch.setattr(CompiledMe, "statement", lambda *_: as_text(literal_column("1/0")))
    monkeypatch.setattr(COMPILED_DOCUMENTS, "built", {})  # none built before the patch
    before = compiled_count("Me", "fallback")
    for email in (METTE, PERNILLE):
        assert b'"me":{' in await pair.same("Me", {}, as_=email)
    assert compiled_count("Me", "fallback") - before == 2


@pytest.mark.parametrize(
    "moment",
    [
        "2026-03-29 01:59:59+00",
        "2026-03-29 02:00:00.5+01",
        "2026-10-25 00:00:00.000001+00",
        "2026-12-31 23:59:59.120000+00",
        "1999-01-02 03:04:05.999999-05",
    ],
)
async def test_sql_spellings_match_python(connection: Any, moment: str) -> None:
    """Timestamps, global IDs and cursors as the resolvers print them."""
    import datetime as dt
    import uuid

    from sqlalchemy import DateTime, Text, Uuid, cast, literal, select
    from strawberry.relay import GlobalID

    from app.api.compiled import global_id, iso_datetime, keyset_cursor
    from app.core.pagination import _encode
    from app.db import new_id

    value = dt.datetime.fromisoformat(moment.replace(" ", "T") + ":00").astimezone(dt.UTC)
    ident = new_id()
    at = cast(literal(value, DateTime(timezone=True)), DateTime(timezone=True))
    key = literal(ident, Uuid())
    row = (
        await connection.execute(
            select(
                iso_datetime(at),
                global_id("Institution", key),
                keyset_cursor(iso_datetime(at), cast(key, Text())),
            )
        )
    ).one()
    assert row[0] == value.isoformat()
    assert row[1] == str(GlobalID("Institution", str(ident)))
    assert row[2] == _encode([value, ident])
    assert isinstance(ident, uuid.UUID)


async def test_a_statement_is_built_once_per_shape_and_answers_each_actor_as_their_own(
    pair: Pair,
) -> None:
    """Pernille and Lars are pædagoger of one group each, in two institutions: the same shape.
    The statement built for Pernille answers Lars with his own institution's rows, exactly as
    the resolvers do; nothing is built per request."""
    await _messaging(pair.on)
    COMPILED_DOCUMENTS.built.clear()
    before = {
        (operation, how): built_count(operation, how)
        for operation in ("Inbox", "Me")
        for how in ("built", "reused", "per_request")
    }
    answers = {}
    for email in (PERNILLE, LARS):
        answers[email, "Inbox"] = await pair.same("Inbox", {"first": 20}, as_=email)
        answers[email, "Me"] = await pair.same("Me", {}, as_=email)
    after = {key: built_count(*key) - value for key, value in before.items()}
    for operation in ("Inbox", "Me"):
        assert after[operation, "built"] == 1
        assert after[operation, "reused"] == 1
        assert after[operation, "per_request"] == 0
        assert answers[PERNILLE, operation] != answers[LARS, operation]


async def test_a_thread_statement_is_built_once_for_every_thread_asked_about(pair: Pair) -> None:
    """The thread is a parameter of the statement (CompiledThreadMessagesPage.
    bound_variables): the one built for a reader's first thread answers their others, and
    another institution's thread with null, each as the resolvers do."""
    f = await _messaging(pair.on)
    inbox = (await pair.on.gql("Inbox", {"first": 100}, as_=METTE))["inbox"]["edges"]
    hers = sorted(edge["node"]["id"] for edge in inbox)[:3]
    lars = (await pair.on.gql("Inbox", {"first": 100}, as_=LARS))["inbox"]["edges"]
    asked = [(METTE, thread) for thread in hers]
    asked += [(LARS, lars[0]["node"]["id"]), (LARS, f["family"]["id"])]
    COMPILED_DOCUMENTS.built.clear()
    operation = "ThreadMessagesPage"
    before = {how: built_count(operation, how) for how in ("built", "reused", "per_request")}
    answers = [
        await pair.same(operation, {"id": thread, "first": 20}, as_=who) for who, thread in asked
    ]
    after = {how: built_count(operation, how) - before[how] for how in before}
    assert after == {"built": 2, "reused": 3, "per_request": 0}, after
    assert len(set(answers[:4])) == 4 and all(b'"messages":{' in a for a in answers[:4])
    assert answers[4].startswith(b'{"data":{"node":null}')
