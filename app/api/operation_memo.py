"""Answers that depend only on an operation's document and variables, kept per document.

Trusted documents arrive pre-parsed and Strawberry's parser cache hands back the same
DocumentNode for the same text, so a request repeating an operation with the same variables
(a client polling its inbox) can reuse what the guards computed for the previous one (the
query cost, where the text inputs break the rule) instead of walking the document again.
Kept by the document object's identity (graphql-core's nodes are frozen dataclasses, whose
hash walks the whole tree), weakly: a document evicted from the parser cache takes its answers
with it. Bounded per document, and never for variables too large to key cheaply."""

from __future__ import annotations

import json
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from graphql import DocumentNode

T = TypeVar("T")

ANSWERS_PER_DOCUMENT = 64
LONGEST_VARIABLES_KEY = 2048  # characters of JSON: a bigger request is walked, not kept


class OperationMemo:
    def __init__(self) -> None:
        self._answers: dict[int, tuple[weakref.ref[DocumentNode], OrderedDict[Hashable, Any]]] = {}

    def _of(self, document: DocumentNode) -> OrderedDict[Hashable, Any]:
        held = self._answers.get(id(document))
        if held is not None and held[0]() is document:
            return held[1]
        key = id(document)

        def forget(_: object) -> None:
            # Only its own entry: the id may already belong to a newer document.
            if self._answers.get(key, (None,))[0] is reference:
                del self._answers[key]

        reference = weakref.ref(document, forget)
        answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._answers[key] = (reference, answers)
        return answers

    def answer(
        self,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        compute: Callable[[], T],
        *extra: Hashable,
    ) -> T:
        """`compute()`, or its earlier answer for the same document, operation, variables
        and `extra` (whatever else the answer depends on)."""
        try:
            variables_key = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):  # not JSON (an upload): walk it
            return compute()
        if len(variables_key) > LONGEST_VARIABLES_KEY:
            return compute()
        key = (operation_name, variables_key, *extra)
        answers = self._of(document)
        if key in answers:
            answers.move_to_end(key)
            value: T = answers[key]
            return value
        value = compute()
        answers[key] = value
        if len(answers) > ANSWERS_PER_DOCUMENT:
            answers.popitem(last=False)
        return value
