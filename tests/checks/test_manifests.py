"""The committed persisted-query manifests agree with graphql/operations: app builds take
their ids from them, and the server must know every id they ship."""

from __future__ import annotations

import hashlib
import json

from app.api.trusted import TrustedDocuments
from app.cli import render_manifests


def test_the_persisted_query_manifests_are_up_to_date():
    for path, text in render_manifests().items():
        assert path.exists(), f"{path.name} is missing: run `make schema`"
        assert path.read_text(encoding="utf-8") == text, f"{path.name}: run `make schema`"


def test_every_manifest_id_is_the_hash_of_its_body_and_runs_on_the_server():
    documents = TrustedDocuments()
    apollo, relay = (json.loads(text) for text in render_manifests().values())

    assert (apollo["format"], apollo["version"]) == ("apollo-persisted-query-manifest", 1)
    assert {operation["name"] for operation in apollo["operations"]} == {
        document.name for document in documents
    }
    for operation in apollo["operations"]:
        assert operation["id"] == hashlib.sha256(operation["body"].encode()).hexdigest()
        known = documents.by_hash(operation["id"])
        assert known is not None and known.name == operation["name"]
        assert operation["type"] == known.operation.value
    assert len(relay) == len(documents)
    for doc_id, text in relay.items():
        assert doc_id == hashlib.sha256(text.encode()).hexdigest()
        assert documents.by_hash(doc_id) is not None
