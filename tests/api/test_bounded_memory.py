"""Nothing a client sends grows the server's memory without bound: every cache and every
metric label keyed by client input has a bound, and this file sends many distinct keys to
each to prove it. (Throttling rows keyed by e-mail or address: the sweep in
tests/accounts/test_throttling.py.)"""

from __future__ import annotations

import gc
import hashlib
import re

from strawberry.extensions import ParserCache

from app.api.validation import VALIDATED, DocumentValidationCache
from app.root.schema import build_schema, trusted_documents

ANONYMOUS_QUERIES = 40


def _series(metrics_text: str) -> int:
    return sum(1 for line in metrics_text.splitlines() if line and not line.startswith("#"))


def _lru_caches(settings) -> list:
    """The process-wide LRU function behind the schema's parser cache (the validation cache
    is app.api.validation's, checked below)."""
    schema = build_schema(settings)
    found = []
    validation = 0
    for factory in schema.extensions:
        extension = factory() if callable(factory) else factory
        if isinstance(extension, ParserCache):
            found.append(extension.cached_parse_document)
        validation += isinstance(extension, DocumentValidationCache)
    assert validation == 1
    return found


async def test_parser_and_validation_caches_are_bounded_lrus(client, settings):
    caches = _lru_caches(settings)
    assert len(caches) == 1
    assert VALIDATED.maxsize <= 1024
    for cache in caches:
        assert cache.cache_info().maxsize is not None and cache.cache_info().maxsize <= 1024
    for i in range(ANONYMOUS_QUERIES):
        await client.execute("Q", query=f"query Q {{ a{i}: __typename }}")
    for cache in caches:
        info = cache.cache_info()
        assert info.currsize <= info.maxsize
        assert info.currsize >= min(ANONYMOUS_QUERIES, info.maxsize)  # they are in use
    assert min(ANONYMOUS_QUERIES, VALIDATED.maxsize) <= len(VALIDATED) <= VALIDATED.maxsize
    # Past its size an LRU evicts: more distinct documents than it holds leave it at its size.
    parse = caches[0]
    for i in range(parse.cache_info().maxsize + 10):
        parse(f"query Q {{ b{i}: __typename }}")
    assert parse.cache_info().currsize == parse.cache_info().maxsize
    # The validation cache holds documents weakly: those the parser cache let go are gone.
    gc.collect()
    assert len(VALIDATED) <= VALIDATED.maxsize


def test_validation_cache_keeps_at_most_its_size_and_forgets_dropped_documents():
    from graphql import parse as parse_text

    from app.api.validation import _ValidatedDocuments

    schema = build_schema_for_validation()
    kept = _ValidatedDocuments(maxsize=4)
    documents = [parse_text(f"query Q {{ a{i}: __typename }}") for i in range(10)]
    for document in documents:
        assert kept.errors(schema, document, ()) == []
    assert len(kept) == 4
    first = kept.errors(schema, documents[-1], ())
    assert kept.errors(schema, documents[-1], ()) is first  # answered from the cache
    del documents, document
    gc.collect()
    assert len(kept) == 0


def build_schema_for_validation():
    from app.config import Settings

    return build_schema(Settings())._schema


async def test_http_metrics_do_not_grow_with_made_up_paths_or_methods(client):
    before = _series((await client.http.get("/metrics")).text)
    for i in range(30):
        await client.http.get(f"/made-up-{i}/x{i}")
        await client.http.request(f"M{i}THOD", "/health/live")
        await client.http.get(f"/files/institutions/{i}/x", params={"expires": i})
    text = (await client.http.get("/metrics")).text
    assert "made-up" not in text and "M1THOD" not in text
    assert not re.search(r'path="/files/institutions/\d', text)
    # A few new series (the route template's statuses), never one per request.
    assert _series(text) - before < 60


async def test_unknown_persisted_query_hashes_are_not_kept(client):
    documents = trusted_documents()
    known = len(documents)
    for i in range(50):
        made_up = hashlib.sha256(f"made up {i}".encode()).hexdigest()
        body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": made_up}}}
        response = await client.http.post("/graphql", json=body)
        assert response.status_code in (200, 400, 404)
    assert len(documents) == known
    assert all(
        documents.by_hash(hashlib.sha256(f"made up {i}".encode()).hexdigest()) is None
        for i in range(50)
    )
