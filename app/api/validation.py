"""Validation answered once per document object: Strawberry's ValidationCache, keyed by the
document's identity instead of its value.

Strawberry's ValidationCache is an `lru_cache` over (schema, document, rules). graphql-core's
nodes are frozen dataclasses whose hash is not kept: each lookup walks the whole tree (every
node of a day view's document, ~140 hashes), a fixed cost of every request that was ~7 % of
a compiled read's CPU. The document a request runs is the very object of the previous request
for the same text anyway (the trusted documents are parsed once; other text comes from the
parser cache), so its identity is the key, held weakly (as app/api/operation_memo.py does): a
document dropped by the parser cache takes its answers with it. The answer for a given
schema, document and rules is the same either way (the same list of errors)."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

DOCUMENTS_KEPT = 512


class _ValidatedDocuments:
    """Per live document (by identity, at most `maxsize` of them, least recently used out
    first): its validation errors per (schema, rules)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._by_id: OrderedDict[
            int, tuple[weakref.ref[DocumentNode], dict[Hashable, list[GraphQLError]]]
        ] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_id)

    def errors(self, schema: Any, document: DocumentNode, rules: Any) -> list[GraphQLError]:
        key = id(document)
        held = self._by_id.get(key)
        if held is None or held[0]() is not document:
            held = (weakref.ref(document, self._forget(key)), {})
            self._by_id[key] = held
            if len(self._by_id) > self.maxsize:
                self._by_id.popitem(last=False)
        else:
            self._by_id.move_to_end(key)
        answers = held[1]
        # The rules as Strawberry hands them (a tuple of rule classes); a list is not kept.
        try:
            answer_key: Hashable = (schema, rules)
            hash(answer_key)
        except TypeError:
            return validate_document(schema, document, rules)
        found = answers.get(answer_key)
        if found is None:
            found = answers[answer_key] = validate_document(schema, document, rules)
        return found

    def _forget(self, key: int) -> Any:
        def forget(reference: weakref.ref[DocumentNode]) -> None:
            # Only its own entry: the id may already belong to a newer document.
            held = self._by_id.get(key)
            if held is not None and held[0] is reference:
                del self._by_id[key]

        return forget


VALIDATED = _ValidatedDocuments(DOCUMENTS_KEPT)


class DocumentValidationCache(SchemaExtension):
    """In place of Strawberry's ValidationCache (same place in the list, same answers)."""

    def __init__(self, validated: _ValidatedDocuments = VALIDATED) -> None:
        super().__init__()
        self.validated = validated

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, document, rules = (
            context.schema._schema,
            context.graphql_document,
            context.validation_rules,
        )
        context.pre_execution_errors = (
            validate_document(schema, document, rules)  # type: ignore[arg-type]
            if document is None
            else self.validated.errors(schema, document, rules)
        )
        yield
