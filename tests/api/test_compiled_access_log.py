"""A compiled trusted document (app/api/compiled.py) leaves in the access log exactly the rows the
resolvers leave for the same request: every compiled form has a case here, read by staff (the
rows) and by the child's own guardian (none), once with compiled documents on and once off."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.core.runtime import Runtime
from app.root.schema import COMPILED_DOCUMENTS
from tests.client import GraphQLClient
from tests.compiled_pair import compiled_count, compiled_pair
from tests.conftest import is_postgres
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import METTE, PERNILLE, demo, send, started
from tests.privacy.common import LogWatch

pytestmark = pytest.mark.skipif(not is_postgres(), reason="compiled documents run on PostgreSQL")

# operation -> the variables of the fixture's read
CASES: dict[str, Any] = {
    "Me": lambda f: {},
    "Inbox": lambda f: {"first": 20},
    "ThreadMessagesPage": lambda f: {"id": f["thread"], "first": 20},
    "GroupDay": lambda f: {"groupId": f["group"]},
    "ChildDay": lambda f: {"child": f["liva"], "date": date.today().isoformat()},
}


def test_every_compiled_document_has_a_case() -> None:
    assert {form.name for form in COMPILED_DOCUMENTS} == set(CASES)


async def _fixture(client: GraphQLClient) -> dict[str, Any]:
    """A thread about Liva, a broadcast about no child, and a thread about another family."""
    d = await demo(client)
    (family,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    await send(client, METTE, family["id"], "Tak")
    await started(client, SOLSIKKEN_ADMIN, d.institution, {"groups": [d.groups["Bjørnene"]]})
    other = d.other_bjornene_family()
    await started(client, PERNILLE, d.institution, {"children": [other["id"]]}, subject="Andet")
    return {
        "thread": family["id"],
        "group": d.groups["Bjørnene"],
        "liva": d.child("Liva Holm-Jensen"),
    }


async def _rows(
    runtime: Runtime, client: GraphQLClient, request: Any, operation: str
) -> tuple[list[tuple[Any, ...]], float]:
    """The rows one request (a coroutine, run here) leaves, and how often it was compiled."""
    async with LogWatch(runtime, client) as watch:
        before = compiled_count(operation)
        await request
        compiled = compiled_count(operation) - before
    return sorted(watch.rows), compiled


@pytest.mark.parametrize("operation", sorted(CASES))
async def test_compiled_and_resolvers_leave_the_same_rows(
    client: GraphQLClient, runtime: Runtime, operation: str
) -> None:
    f = await _fixture(client)
    variables = CASES[operation](f)
    async with compiled_pair(client, runtime) as pair:
        for who in (PERNILLE, SOLSIKKEN_ADMIN, METTE):
            token = await client.token_for(who)
            body = {"operationName": operation, "variables": variables}
            headers = {"Authorization": f"Bearer {token}"}
            compiled, times = await _rows(
                runtime, client, client.http.post("/graphql", json=body, headers=headers), operation
            )
            assert times == 1, "the compiled path answered"
            resolved, times = await _rows(
                runtime, client, pair.off.post("/graphql", json=body, headers=headers), operation
            )
            assert times == 0, "the resolvers answered"
            assert compiled == resolved, (who, compiled, resolved)
            if operation != "Me" and who == PERNILLE:
                assert compiled, "staff in the thread read messages about Liva: rows"
            if who == METTE:
                assert compiled == [], "the own guardian leaves none"


@pytest.mark.parametrize("operation", ["GroupDay", "ChildDay", "Inbox", "ThreadMessagesPage"])
async def test_a_compiled_answer_whose_log_cannot_commit_is_not_sent(
    client: GraphQLClient, runtime: Runtime, operation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every compiled form that reads child data writes its log rows in its own statement; the
    request's end commits them before the response is sent. If that commit fails, the data
    does not go out and no row stays: a process killed at any moment has sent nothing or
    committed the row."""
    import app.root.graphql as graphql_root
    from app.db import end_request

    f = await _fixture(client)
    token = await client.token_for(PERNILLE)

    async def commit_fails(db: Any) -> None:
        await db.rollback()
        raise RuntimeError("the log cannot be committed")

    body = {"operationName": operation, "variables": CASES[operation](f)}
    headers = {"Authorization": f"Bearer {token}"}
    async with LogWatch(runtime, client) as watch:
        before = compiled_count(operation)
        monkeypatch.setattr(graphql_root, "end_request", commit_fails)
        try:
            response = await client.http.post("/graphql", json=body, headers=headers)
        except RuntimeError:
            response = None  # the exception reached the client's transport: nothing was sent
        monkeypatch.setattr(graphql_root, "end_request", end_request)
        assert compiled_count(operation) - before == 1, "the compiled path answered"
    if response is not None:
        assert response.status_code == 500, response.text
        assert b"Liva" not in response.content and b'"data"' not in response.content
    assert watch.rows == []


async def test_only_a_compiled_reads_log_commits_without_waiting_for_the_disk(
    client: GraphQLClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compiled reads' transactions (a read and its log rows) commit asynchronously; the
    resolvers' log INSERT, whose transaction can hold other writes, keeps the server's
    synchronous commit. (The setting is the transaction's own, `set_config(..., true)`; the
    tests run every request inside one outer transaction, so the resolvers go first here.)"""
    from sqlalchemy import text

    import app.root.graphql as graphql_root
    from app.db import end_request

    f = await _fixture(client)
    token = await client.token_for(PERNILLE)
    seen: list[str] = []

    async def noting_end(db: Any) -> None:
        seen.append((await db.execute(text("SHOW synchronous_commit"))).scalar_one())
        await end_request(db)

    monkeypatch.setattr(graphql_root, "end_request", noting_end)
    headers = {"Authorization": f"Bearer {token}"}
    async with compiled_pair(client, runtime) as pair:
        for path, commit in ((pair.off, "on"), (client.http, "off")):
            for operation in ("GroupDay", "ChildDay", "Inbox", "ThreadMessagesPage"):
                body = {"operationName": operation, "variables": CASES[operation](f)}
                async with LogWatch(runtime, client) as watch:
                    seen.clear()
                    await path.post("/graphql", json=body, headers=headers)
                    ended = list(seen)
                assert watch.rows, "staff's read is logged"
                assert ended == [commit], (operation, commit, ended)
