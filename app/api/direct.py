"""The direct path of a compiled trusted document over HTTP: the answer without the GraphQL
pipeline around it.

Measured on the real server (2 cores, concurrency 8), Strawberry's execution around a compiled
answer cost 0.27-0.33 ms of the server's CPU per request, about a fifth of it: an execution
context, thirteen extensions made and stepped through their hooks, the result processed. The
direct path takes a request only when that pipeline would answer it compiled, with the same
answer, so that it has nothing left to decide:

- the body is a plain JSON request for a trusted document by name (`operationName`) or by
  Apollo's hash (`extensions.persistedQuery`), nothing else (no text, no other extension);
- the document has a compiled form that accepts the variables (`CompiledAnswers.asked`), and
  the pipeline has answered this very document compiled before (`CompiledAnswers.vetted`):
  the guards that look at the document alone (validation, depth, aliases, tokens,
  introspection) passed it, and their verdict does not change;
- the guards that look at the variables pass them, by the very functions the pipeline's
  extensions call: graphql-core's coercion of the variables to their declared types, the text
  input rule (`forbidden_text`) and the cost limit (`operation_cost`);
- `CompiledAnswers.answer` answers it (signed in, compiled, no error).

Anything else, including every refusal and error, goes the normal way and gets the pipeline's
own answer. The response is the pipeline's: `{"data": ..., "extensions": {"cost": ...}}`,
byte for byte (the differential tests and security matrices, which ask by name, go this way),
and the operation is counted in the same metrics."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import msgspec
from graphql import DocumentNode, GraphQLSchema, get_operation_ast
from graphql.execution.values import get_variable_values
from prometheus_client import Counter

from app.api.compiled import CompiledAnswers
from app.api.cost import operation_cost
from app.api.inputs import forbidden_text
from app.api.observability import count_operation

DIRECT = Counter(
    "seddel_graphql_direct_total",
    "Compiled trusted documents answered over HTTP without the GraphQL pipeline",
    ["operation"],
)
_FIELDS = frozenset({"operationName", "variables", "extensions"})
_decode = msgspec.json.Decoder().decode


class DirectAnswers:
    def __init__(self, answers: CompiledAnswers, schema: GraphQLSchema, max_cost: int) -> None:
        self.answers = answers
        self.schema = schema
        self.max_cost = max_cost

    async def answer(self, body: bytes, content_type: str, context: Any) -> dict[str, Any] | None:
        """The response's JSON for an HTTP POST of `body`, or None: the pipeline answers."""
        started = time.perf_counter()
        request = _plain_request(body, content_type)
        if request is None:
            return None
        operation_name, variables, extensions = request
        found = self.answers.asked(operation_name, extensions, variables)
        if found is None:
            return None
        asked, form = found
        if not self.answers.vetted(asked.document):
            return None
        if operation_name is not None and operation_name != asked.name:
            return None  # a hash of one document named as another: the pipeline's error
        cost = self._passes(asked.name, asked.document, asked.variables)
        if cost is None:
            return None
        context.name_operation(asked.name)
        data = await self.answers.answer(form, asked, context)
        if data is None:
            self.answers.decline(context)
            return None
        count_operation(asked.name, "query", "ok", time.perf_counter() - started)
        DIRECT.labels(asked.name).inc()
        return {"data": data, "extensions": {"cost": cost}}

    def _passes(
        self, name: str, document: DocumentNode, variables: Mapping[str, Any]
    ) -> int | None:
        """The operation's cost when every guard on its variables lets them through."""
        operation = get_operation_ast(document, name)
        if operation is None or operation.operation.value != "query":
            return None
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), dict(variables)
        )
        if isinstance(coerced, list):  # errors: the pipeline answers them
            return None
        if forbidden_text(document, name, variables) is not None:
            return None
        cost = operation_cost(self.schema, document, name, variables)
        return cost if cost <= self.max_cost else None


def _plain_request(
    body: bytes, content_type: str
) -> tuple[str | None, Mapping[str, Any], Mapping[str, Any] | None] | None:
    """(operationName, variables, extensions) of a JSON body that asks for a persisted document
    and nothing else; None for anything the pipeline must read itself."""
    if content_type != "application/json":
        return None
    try:
        parsed = _decode(body)
    except msgspec.DecodeError:
        return None
    if not isinstance(parsed, dict) or not parsed.keys() <= _FIELDS:
        return None
    name = parsed.get("operationName")
    variables = parsed.get("variables")
    extensions = parsed.get("extensions")
    if name is not None and not isinstance(name, str):
        return None
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        return None
    if extensions is not None:
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if (
            not isinstance(persisted, dict)
            or set(extensions) != {"persistedQuery"}
            or persisted.get("version") != 1
            or not isinstance(persisted.get("sha256Hash"), str)
        ):
            return None
    elif name is None:
        return None
    return name, variables, extensions
