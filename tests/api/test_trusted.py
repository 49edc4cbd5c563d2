"""Trusted documents: the apps' operations run by name or hash; in production nothing else."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast
from strawberry.extensions import DisableValidation, SchemaExtension, ValidationCache
from strawberry.types.execution import PreExecutionError

from app.api.persisted import persisted_request
from app.api.trusted import (
    AutomaticPersistedQueries,
    TrustedDocumentError,
    TrustedDocuments,
    TrustedDocumentsExtension,
)


@strawberry.type
class Item:
    id: int

    @strawberry.field
    def children(self, info: strawberry.Info, first: int | None = None) -> list[Item]:
        info.context["calls"].append("children")
        return [Item(id=self.id * 10 + n) for n in range(first or 2)]


@strawberry.type
class Query:
    @strawberry.field
    def items(self, info: strawberry.Info, first: int | None = None) -> list[Item]:
        info.context["calls"].append("items")
        return [Item(id=n) for n in range(first or 2)]

    @strawberry.field
    def ping(self, info: strawberry.Info) -> str:
        info.context["calls"].append("ping")
        return "pong"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        yield 1


OPERATIONS = """
# The apps' list of items.
query Items($n: Int) {
  items(first: $n) { ...ItemFields }
}

query Ping { ping }

subscription Ticks { ticks }
"""

FRAGMENTS = """
fragment ItemFields on Item { id children(first: 1) { ...ChildFields } }
fragment ChildFields on Item { id }
"""

RAW_ERROR = (
    "Only trusted documents are accepted in production; send the operation's name or sha256Hash"
)


def write(directory: Path, **files: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.graphql").write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def documents(tmp_path: Path) -> TrustedDocuments:
    return TrustedDocuments(write(tmp_path / "operations", items=OPERATIONS, fragments=FRAGMENTS))


ExtensionFactory = Callable[[], SchemaExtension] | type[SchemaExtension]


def schema_for(
    documents: TrustedDocuments,
    *,
    only_trusted: bool,
    after: tuple[ExtensionFactory, ...] = (),
    registry: AutomaticPersistedQueries | None = None,
) -> strawberry.Schema:
    trusted: ExtensionFactory = lambda: TrustedDocumentsExtension(
        documents, only_trusted=only_trusted, registry=registry
    )
    return strawberry.Schema(Query, subscription=Subscription, extensions=[trusted, *after])


async def run(schema: strawberry.Schema, query: str | None, **kwargs: Any) -> tuple[Any, list[str]]:
    calls: list[str] = []
    result = await schema.execute(query, context_value={"calls": calls}, **kwargs)
    return result, calls


def code_of(result: Any) -> str:
    [error] = result.errors
    code: str = error.extensions["code"]
    return code


ITEMS = {"items": [{"id": 0, "children": [{"id": 0}]}, {"id": 1, "children": [{"id": 10}]}]}


@pytest.mark.parametrize("only_trusted", [True, False])
async def test_an_operation_runs_by_name(documents: TrustedDocuments, only_trusted: bool) -> None:
    schema = schema_for(documents, only_trusted=only_trusted)

    result, _ = await run(schema, None, operation_name="Items", variable_values={"n": 2})

    assert result.errors is None
    assert result.data == ITEMS


@pytest.mark.parametrize("only_trusted", [True, False])
async def test_an_operation_runs_by_hash(documents: TrustedDocuments, only_trusted: bool) -> None:
    schema = schema_for(documents, only_trusted=only_trusted)
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": documents.hash_of("Items")}}

    result, _ = await run(schema, None, variable_values={"n": 2}, operation_extensions=persisted)

    assert result.errors is None
    assert result.data == ITEMS


async def test_the_pre_parsed_document_is_executed(documents: TrustedDocuments) -> None:
    seen: list[DocumentNode | None] = []

    class Spy(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            seen.append(self.execution_context.graphql_document)
            yield

    schema = schema_for(documents, only_trusted=True, after=(Spy,))

    await run(schema, None, operation_name="Ping")

    trusted = documents.by_name("Ping")
    assert trusted is not None
    assert seen == [trusted.document]
    assert seen[0] is trusted.document


@pytest.mark.parametrize(
    "request_",
    [
        {"operation_name": "Nope"},
        {"operation_extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}},
        {"operation_extensions": {"persistedQuery": {"version": 1}}},
        {
            "operation_name": "Ping",
            "operation_extensions": {"persistedQuery": {"sha256Hash": "placeholder"}},
        },
    ],
    ids=["unknown name", "unknown hash", "no hash", "hash of another operation"],
)
@pytest.mark.parametrize("only_trusted", [True, False])
async def test_an_unknown_document_is_not_found(
    documents: TrustedDocuments, only_trusted: bool, request_: dict[str, Any]
) -> None:
    persisted = request_.get("operation_extensions", {}).get("persistedQuery", {})
    if persisted.get("sha256Hash") == "placeholder":
        persisted["sha256Hash"] = documents.hash_of("Items")

    result, calls = await run(schema_for(documents, only_trusted=only_trusted), None, **request_)

    assert result.data is None
    assert code_of(result) == "PERSISTED_QUERY_NOT_FOUND"
    assert calls == []


async def test_raw_text_is_refused_when_only_trusted(
    documents: TrustedDocuments,
) -> None:
    trusted = documents.by_name("Ping")
    assert trusted is not None
    schema = schema_for(documents, only_trusted=True)

    for text in ("{ ping }", trusted.text):
        result, calls = await run(schema, text, operation_name="Ping" if "Ping" in text else None)

        assert result.data is None
        assert code_of(result) == "TRUSTED_DOCUMENT_REQUIRED"
        assert result.errors[0].message == RAW_ERROR
        assert calls == []


async def test_raw_text_passes_through_when_not_only_trusted(
    documents: TrustedDocuments,
) -> None:
    result, calls = await run(schema_for(documents, only_trusted=False), "{ ping }")

    assert result.errors is None
    assert result.data == {"ping": "pong"}
    assert calls == ["ping"]


def test_the_hash_is_sha256_of_the_printed_operation_and_the_fragments_it_uses(
    documents: TrustedDocuments, tmp_path: Path
) -> None:
    operation = next(
        d
        for d in parse(OPERATIONS).definitions
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == "Items"
    )
    item_fields, child_fields = parse(FRAGMENTS).definitions
    # The operation, then its fragments sorted by name.
    text = print_ast(DocumentNode(definitions=(operation, child_fields, item_fields)))
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()

    reformatted = TrustedDocuments(
        write(
            tmp_path / "reformatted",
            fragments="# shared\n" + FRAGMENTS.replace(" ", "\n  "),
            operations=OPERATIONS.replace("Ping", "Pong"),
        )
    )

    assert documents.hash_of("Items") == expected
    assert reformatted.hash_of("Items") == expected
    trusted = documents.by_name("Items")
    assert trusted is not None
    assert trusted.sha256 == expected
    assert trusted.text == text
    assert documents.by_hash(expected.upper()) is trusted
    assert documents.hash_of("Ping") != documents.hash_of("Items")
    assert {d.name for d in documents} == {"Items", "Ping", "Ticks"}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"a": "query Ping { ping }", "b": "query Ping { items { id } }"},
            "operation 'Ping'",
        ),
        (
            {"a": FRAGMENTS, "b": "fragment ChildFields on Item { id }"},
            "fragment 'ChildFields'",
        ),
        ({"a": "query Items { items { ...Missing } }"}, "unknown fragment 'Missing'"),
        ({"a": "{ ping }"}, "needs a name"),
        ({"a": "type Query { ping: String }"}, "only operations and fragments"),
        ({"a": "query Broken {"}, "Syntax Error"),
    ],
    ids=[
        "duplicate operation",
        "duplicate fragment",
        "unknown fragment",
        "anonymous",
        "sdl",
        "syntax",
    ],
)
def test_a_bad_operations_directory_fails_at_load(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    with pytest.raises(TrustedDocumentError, match=message):
        TrustedDocuments(write(tmp_path, **files))


async def test_a_refusal_lets_the_other_extensions_finish(
    documents: TrustedDocuments,
) -> None:
    events: list[str] = []

    class Outer(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            events.append("enter")
            yield
            events.append("exit")

    schema = strawberry.Schema(
        Query,
        extensions=[
            Outer,
            lambda: TrustedDocumentsExtension(documents, only_trusted=True),
        ],
    )

    result, _ = await run(schema, "{ ping }")

    assert code_of(result) == "TRUSTED_DOCUMENT_REQUIRED"
    assert events == ["enter", "exit"]


@pytest.mark.parametrize(
    "after",
    [(lambda: ValidationCache(maxsize=8),), (DisableValidation,)],
    ids=["validation cache", "validation disabled"],
)
async def test_a_refusal_holds_whatever_validation_does(
    documents: TrustedDocuments, after: tuple[ExtensionFactory, ...]
) -> None:
    schema = schema_for(documents, only_trusted=True, after=after)

    for _ in range(2):  # the second time from the cache
        result, calls = await run(schema, "{ ping }")

        assert result.data is None
        assert code_of(result) == "TRUSTED_DOCUMENT_REQUIRED"
        assert calls == []


async def test_subscriptions_run_by_name_and_refusals_arrive_as_errors(
    documents: TrustedDocuments,
) -> None:
    schema = schema_for(documents, only_trusted=True)

    trusted = [r async for r in await schema.subscribe(None, operation_name="Ticks")]
    refused = [r async for r in await schema.subscribe("subscription { ticks }")]

    assert [r.data for r in trusted] == [{"ticks": 1}]
    [error] = refused
    assert isinstance(error, PreExecutionError)
    assert code_of(error) == "TRUSTED_DOCUMENT_REQUIRED"


# Apollo's automatic persisted queries and the other conventions clients send.


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def persisted(sha256: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


APOLLO_ITEMS = """query Items($n: Int) {
  items(first: $n) {
    ...ItemFields
    __typename
  }
}

fragment ChildFields on Item {
  id
  __typename
}

fragment ItemFields on Item {
  id
  children(first: 1) {
    ...ChildFields
    __typename
  }
  __typename
}"""


def test_the_apollo_form_adds_typename_below_the_root_as_apollo_client_does(
    documents: TrustedDocuments,
) -> None:
    apollo = documents.apollo_form("Items")

    assert apollo.text == APOLLO_ITEMS
    assert apollo.sha256 == sha256_of(APOLLO_ITEMS)
    assert documents.by_hash(apollo.sha256) is apollo
    assert documents.apollo_form("Ping").text == documents.by_name("Ping").text  # type: ignore[union-attr]


@pytest.mark.parametrize("only_trusted", [True, False])
async def test_an_unknown_hash_alone_is_apollos_persisted_query_not_found(
    documents: TrustedDocuments, only_trusted: bool
) -> None:
    registry = AutomaticPersistedQueries()
    schema = schema_for(documents, only_trusted=only_trusted, registry=registry)

    result, calls = await run(schema, None, operation_extensions=persisted(sha256_of("{ ping }")))

    [error] = result.errors
    assert (error.message, error.extensions) == (
        "PersistedQueryNotFound",
        {"code": "PERSISTED_QUERY_NOT_FOUND", "reason": "PERSISTED_QUERY_NOT_FOUND", "retryable": False},
    )
    assert calls == []


async def test_in_development_a_hashed_text_is_registered_once_valid(
    documents: TrustedDocuments,
) -> None:
    registry = AutomaticPersistedQueries()
    schema = schema_for(documents, only_trusted=False, registry=registry)
    text, invalid = "{ ping }", "{ nope }"

    retried, _ = await run(schema, text, operation_extensions=persisted(sha256_of(text)))
    refused, _ = await run(schema, invalid, operation_extensions=persisted(sha256_of(invalid)))
    by_hash, calls = await run(schema, None, operation_extensions=persisted(sha256_of(text)))
    forged, _ = await run(schema, "{ items { id } }", operation_extensions=persisted("0" * 64))

    assert retried.data == by_hash.data == {"ping": "pong"}
    assert refused.errors and registry.get(sha256_of(invalid)) is None
    assert calls == ["ping"]
    assert len(registry) == 1
    assert code_of(forged) == "BAD_REQUEST"


def test_the_development_registry_is_bounded() -> None:
    registry = AutomaticPersistedQueries(maxsize=2, max_length=20)
    for text in ("{ a }", "{ b }", "{ c }", "{ " + "d " * 20 + "}"):
        registry.register(sha256_of(text), text)

    assert registry.get(sha256_of("{ a }")) is None
    assert [registry.get(sha256_of(t)) for t in ("{ b }", "{ c }")] == ["{ b }", "{ c }"]
    assert len(registry) == 2


async def test_in_production_a_full_text_retry_runs_only_a_trusted_document(
    documents: TrustedDocuments,
) -> None:
    schema = schema_for(documents, only_trusted=True, registry=AutomaticPersistedQueries())
    # Printed some other way than ours (another printer, another fragment order), with
    # __typename where this client's cache wants it: still the trusted document.
    client_text = (
        "fragment ItemFields on Item { id __typename children(first: 1) { ...ChildFields } }\n"
        "query Items($n: Int) { items(first: $n) { ...ItemFields } }\n"
        "fragment ChildFields on Item { id }"
    )
    untrusted = "query Items($n: Int) { items(first: $n) { id } }"

    first, _ = await run(
        schema,
        None,
        variable_values={"n": 1},
        operation_extensions=persisted(sha256_of(client_text)),
    )
    retried, calls = await run(
        schema,
        client_text,
        variable_values={"n": 1},
        operation_extensions=persisted(sha256_of(client_text)),
    )
    again, _ = await run(
        schema,
        None,
        variable_values={"n": 1},
        operation_extensions=persisted(sha256_of(client_text)),
    )
    refused, refused_calls = await run(
        schema, untrusted, operation_extensions=persisted(sha256_of(untrusted))
    )

    assert code_of(first) == "PERSISTED_QUERY_NOT_FOUND"
    expected = {"items": [{"id": 0, "__typename": "Item", "children": [{"id": 0}]}]}
    assert retried.errors is None and retried.data == expected
    assert again.data == expected
    assert calls == ["items", "children"]
    assert code_of(refused) == "TRUSTED_DOCUMENT_REQUIRED" and refused_calls == []


async def test_in_production_apollos_form_runs_by_its_hash_alone(
    documents: TrustedDocuments,
) -> None:
    schema = schema_for(documents, only_trusted=True)
    apollo = documents.apollo_form("Items")

    result, _ = await run(
        schema, None, variable_values={"n": 1}, operation_extensions=persisted(apollo.sha256)
    )

    assert result.errors is None
    assert result.data == {
        "items": [{"id": 0, "__typename": "Item", "children": [{"id": 0, "__typename": "Item"}]}]
    }


def test_adopted_hashes_are_bounded(documents: TrustedDocuments, monkeypatch) -> None:
    monkeypatch.setattr("app.api.trusted.ADOPTED_MAX", 3)
    texts = [f"query Ping {{ ping {'__typename ' * n}}}" for n in range(1, 6)]
    for text in texts:
        assert documents.adopt(sha256_of(text), text) is not None

    assert [documents.by_hash(sha256_of(t)) is not None for t in texts] == [
        False,
        False,
        True,
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("fields", "query", "expected_hash"),
    [
        ({"doc_id": "H"}, None, "H"),
        ({"documentId": "sha256:H"}, None, "H"),
        ({}, "H", "H"),
        ({}, "sha256:H", "H"),
        ({"doc_id": 7}, None, ""),
    ],
    ids=["relay doc_id", "documentId", "hash as query", "prefixed hash as query", "malformed"],
)
def test_document_ids_are_read_as_apollos_extension(
    fields: dict[str, Any], query: str | None, expected_hash: str
) -> None:
    h = "ab" * 32
    fields = {k: v.replace("H", h) if isinstance(v, str) else v for k, v in fields.items()}
    query = query.replace("H", h) if query else query

    new_query, extensions = persisted_request(query, {"other": 1}, fields)

    assert new_query is None
    assert extensions == {
        "other": 1,
        "persistedQuery": {"version": 1, "sha256Hash": expected_hash.replace("H", h)},
    }


def test_apollos_own_extension_wins_and_plain_text_is_left_alone() -> None:
    apollo = persisted("cd" * 32)

    assert persisted_request("{ ping }", apollo, {"doc_id": "ab" * 32}) == ("{ ping }", apollo)
    assert persisted_request("{ ping }", None, {}) == ("{ ping }", None)
