"""The direct path of compiled trusted documents (app/api/direct.py): once the GraphQL pipeline
has answered a document compiled, a plain request for it is answered without the pipeline,
byte for byte as the pipeline (and the resolvers) answer it; every request its guards would
refuse, and every body that is not a plain request for a persisted document, goes the
pipeline's way and gets the pipeline's answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from prometheus_client import REGISTRY

from app.api.compiled import CompiledAnswers
from app.api.direct import DirectAnswers
from app.core.runtime import Runtime
from app.root.schema import COMPILED_DOCUMENTS, build_schema, trusted_documents
from tests.client import GraphQLClient
from tests.compiled_pair import Pair, compiled_count, compiled_pair
from tests.conftest import is_postgres
from tests.messaging.util import METTE, PERNILLE, demo, started


def direct_count(operation: str) -> float:
    value = REGISTRY.get_sample_value("seddel_graphql_direct_total", {"operation": operation})
    return value or 0.0


def operations_count(operation: str) -> float:
    value = REGISTRY.get_sample_value(
        "seddel_graphql_operations_total",
        {"operation": operation, "type": "query", "outcome": "ok"},
    )
    return value or 0.0


def _persisted(sha256: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


# What the pipeline would refuse or must read itself never reaches the database here: these
# need no PostgreSQL, only a vetted document and a context that must not be touched.


@pytest.fixture
def direct(runtime: Runtime) -> DirectAnswers:
    answers = CompiledAnswers(COMPILED_DOCUMENTS, trusted_documents())
    for name in ("Me", "Inbox"):
        document = trusted_documents().by_name(name)
        assert document is not None
        answers.vet(document.document)
    schema = build_schema(runtime.settings)._schema
    # No cost limit here: each case is left to the pipeline for its own reason (the limit has
    # its own test below).
    return DirectAnswers(answers, schema, max_cost=10**18)


class Untouchable:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the direct path touched the request's {name}")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        # The text input rule: a string the compiled form accepts, which the rule refuses.
        ({"operationName": "Inbox", "variables": {"after": "a\u0000b"}}, "application/json"),
        # The variables' declared types: an int the form accepts, no GraphQL Int (32 bits).
        ({"operationName": "Inbox", "variables": {"first": 2**40}}, "application/json"),
        # The form's own shapes: a string for `first`.
        ({"operationName": "Inbox", "variables": {"first": "3"}}, "application/json"),
        # Not a plain request for a persisted document.
        ({"operationName": "Me", "query": "query Me { me { id } }"}, "application/json"),
        ({"operationName": "Me", "doc_id": "abc"}, "application/json"),
        ({"operationName": "Me", "variables": []}, "application/json"),
        ({"operationName": "Me", "extensions": {"other": 1}}, "application/json"),
        ({"variables": {}}, "application/json"),
        ({"operationName": "Me"}, "text/plain"),
        ({"operationName": "NoSuchOperation"}, "application/json"),
        # A hash of one document named as another.
        (
            {"operationName": "Inbox", "extensions": _persisted(trusted_documents().hash_of("Me"))},
            "application/json",
        ),
        # Trusted, but not compiled; compiled, but not vetted yet.
        ({"operationName": "AuditTrail", "variables": {}}, "application/json"),
        ({"operationName": "GroupDay", "variables": {"groupId": "x"}}, "application/json"),
    ],
)
async def test_what_the_pipeline_must_decide_is_left_to_it(
    direct: DirectAnswers, body: dict[str, Any], content_type: str
) -> None:
    encoded = msgspec.json.encode(body)
    assert await direct.answer(encoded, content_type, Untouchable()) is None


async def test_a_too_costly_request_is_left_to_the_pipeline(runtime: Runtime) -> None:
    answers = CompiledAnswers(COMPILED_DOCUMENTS, trusted_documents())
    inbox = trusted_documents().by_name("Inbox")
    assert inbox is not None
    answers.vet(inbox.document)
    schema = build_schema(runtime.settings)._schema
    cheap = DirectAnswers(answers, schema, max_cost=1)
    body = msgspec.json.encode({"operationName": "Inbox", "variables": {"first": 3}})
    assert await cheap.answer(body, "application/json", Untouchable()) is None


async def test_a_body_that_is_not_json_is_left_to_the_pipeline(direct: DirectAnswers) -> None:
    assert await direct.answer(b"{not json", "application/json", Untouchable()) is None


# The answers themselves: PostgreSQL, the pipeline and the resolvers beside.


@pytest.fixture
async def pair(client: GraphQLClient, runtime: Runtime) -> AsyncIterator[Pair]:
    async with compiled_pair(client, runtime) as both:
        yield both


@pytest.mark.skipif(not is_postgres(), reason="compiled documents run on PostgreSQL")
async def test_a_vetted_document_is_answered_directly_as_the_pipeline_answers(
    pair: Pair, assert_max_queries: Any
) -> None:
    d = await demo(pair.on)
    await started(pair.on, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]})
    token = await pair.on.token_for(METTE)
    documents = trusted_documents()
    for name, variables in (("Me", {}), ("Inbox", {"first": 3})):
        by_name = {"operationName": name, "variables": variables}
        apollo = documents.apollo_form(name)
        by_hash = {"variables": variables, "extensions": _persisted(apollo.sha256)}
        for body in (by_name, by_hash):
            first = await pair.both(body, token)  # the pipeline answers, and vets it
            direct, ok, compiled = direct_count(name), operations_count(name), compiled_count(name)
            headers = {"Authorization": f"Bearer {token}"}
            with assert_max_queries(2):  # the sign-in, the answer
                again = await pair.on.http.post("/graphql", json=body, headers=headers)
            resolved = await pair.off.post("/graphql", json=body, headers=headers)
            assert again.content == resolved.content == first[0] == first[1], (body, first)
            assert again.headers["content-type"] == resolved.headers["content-type"]
            assert direct_count(name) == direct + 1
            assert operations_count(name) == ok + 2  # the direct answer, the resolvers'
            assert compiled_count(name) == compiled + 1


@pytest.mark.skipif(not is_postgres(), reason="compiled documents run on PostgreSQL")
async def test_a_refused_request_gets_the_pipelines_error(pair: Pair) -> None:
    token = await pair.on.token_for(METTE)
    await pair.both({"operationName": "Inbox", "variables": {"first": 2}}, token)
    before = direct_count("Inbox")
    for variables in ({"after": "a\u0000b"}, {"first": 2**40}, {"first": 100_000}):
        body = {"operationName": "Inbox", "variables": variables}
        refused, resolved = await pair.both(body, token)
        assert refused == resolved and b'"errors"' in refused, (variables, refused)
    assert direct_count("Inbox") == before


@pytest.mark.skipif(not is_postgres(), reason="compiled documents run on PostgreSQL")
async def test_without_a_session_the_pipeline_answers(pair: Pair) -> None:
    body = {"operationName": "Me", "variables": {}}
    token = await pair.on.token_for(METTE)
    await pair.both(body, token)
    before = direct_count("Me")
    for stranger in (None, "not-a-token"):
        refused, resolved = await pair.both(body, stranger)
        assert refused == resolved and b"UNAUTHENTICATED" in refused
    assert direct_count("Me") == before
