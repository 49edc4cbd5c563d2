"""The ways clients name a persisted document, read into one: Apollo's
``extensions.persistedQuery.sha256Hash``. TrustedDocumentsExtension (app/api/trusted.py)
then decides alone what runs; the transports here only carry what the client sent.

- HTTP (POST body or GET parameters): Apollo's ``extensions.persistedQuery``; Relay's
  ``doc_id`` and the GraphQL-over-HTTP draft's ``documentId`` (``sha256:<hex>`` or the bare
  hex); a bare hash in ``query`` (graphql-ws's persisted-query recipe). A GET that carries
  any GraphQL parameter is a GraphQL request whatever its ``Accept`` (Apollo's link sends
  ``*/*``), never the IDE page.
- graphql-transport-ws ``subscribe``: the same fields of the payload. Strawberry's handler
  (0.341) passes only query, variables and operationName on, and refuses a payload without
  ``query``; PersistedDocumentsTransportWSHandler passes ``extensions`` as well.
- The manifests app builds ship (``seddel schema`` writes them): Apollo's persisted-query
  manifest (ids of the documents as Apollo Client sends them) and Relay's
  ``{"<doc_id>": "<text>"}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from strawberry.http import GraphQLRequestData
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from app.api.trusted import TrustedDocuments

DOCUMENT_ID_FIELDS = ("documentId", "doc_id")
# Any of these in a GET's parameters makes it a GraphQL request rather than the IDE page.
GRAPHQL_PARAMETERS = ("query", "operationName", "variables", "extensions", *DOCUMENT_ID_FIELDS)

_HASH_AS_QUERY = re.compile(r"(?:sha256:)?[0-9a-fA-F]{64}")


def persisted_request(
    query: str | None, extensions: dict[str, Any] | None, fields: Mapping[str, Any]
) -> tuple[str | None, dict[str, Any] | None]:
    """``query`` and ``extensions`` with any document id the client sent in ``fields`` (the
    request body, GET parameters or websocket payload) moved into
    ``extensions.persistedQuery``; Apollo's own extension wins when both are sent."""
    if isinstance(extensions, dict) and extensions.get("persistedQuery") is not None:
        return query, extensions
    document_id = next(
        (fields[field] for field in DOCUMENT_ID_FIELDS if fields.get(field) is not None), None
    )
    if document_id is None and query is not None and _HASH_AS_QUERY.fullmatch(query.strip()):
        # A lone hash is never a GraphQL document (a single name is a syntax error).
        document_id, query = query.strip(), None
    if document_id is None:
        return query, extensions
    sha256 = document_id.removeprefix("sha256:") if isinstance(document_id, str) else ""
    persisted = {"version": 1, "sha256Hash": sha256}  # "" (malformed) matches no document
    return query, {
        **(extensions if isinstance(extensions, dict) else {}),
        "persistedQuery": persisted,
    }


class PersistedDocumentsView:
    """Mixed into the GraphQL controller (before Strawberry's view class) for HTTP."""

    def should_render_graphql_ide(self, request: Any) -> bool:
        if any(request.query_params.get(name) is not None for name in GRAPHQL_PARAMETERS):
            return False
        render: bool = super().should_render_graphql_ide(request)  # type: ignore[misc]
        return render

    async def parse_http_body(self, request: Any) -> Any:
        parsed = await super().parse_http_body(request)  # type: ignore[misc]
        if not isinstance(parsed, GraphQLRequestData):
            return parsed  # a batch (batching is off: Strawberry refuses it before this)
        if isinstance(parsed.extensions, dict) and "persistedQuery" in parsed.extensions:
            return parsed
        fields: Mapping[str, Any] = {}
        if request.method == "GET":
            fields = request.query_params
        elif not parsed.query:  # only then can the body hold a document id worth reading
            raw = await request.get_body()
            if any(field.encode() in raw for field in DOCUMENT_ID_FIELDS):
                body = self.parse_json(raw)  # type: ignore[attr-defined]
                fields = body if isinstance(body, dict) else {}
        parsed.query, parsed.extensions = persisted_request(parsed.query, parsed.extensions, fields)
        return parsed


# The extensions of the operation a task runs: set in that operation's own task (which
# asyncio gives its own copy of the context), read when it asks the schema for its stream.
_operation_extensions: ContextVar[dict[str, Any] | None] = ContextVar(
    "operation_extensions", default=None
)


class _SchemaWithOperationExtensions:
    """The schema as the websocket handler sees it: ``stream`` gets the operation's
    extensions, which Strawberry's handler does not pass on."""

    def __init__(self, schema: Any) -> None:
        self._schema = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    async def stream(self, query: str | None, **kwargs: Any) -> Any:
        if kwargs.get("operation_extensions") is None:
            kwargs["operation_extensions"] = _operation_extensions.get()
        return await self._schema.stream(query, **kwargs)


class PersistedDocumentsTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws with the subscribe payload's ``extensions`` (and document ids)
    passed to the schema, and ``query`` optional when a document is named otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _SchemaWithOperationExtensions(self.schema)  # type: ignore[assignment]
        self._extensions: dict[str, dict[str, Any] | None] = {}

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload = message.get("payload")
        names_a_document = isinstance(payload, dict) and any(
            payload.get(field) is not None
            for field in ("query", "operationName", "extensions", *DOCUMENT_ID_FIELDS)
        )
        if isinstance(payload, dict) and names_a_document:
            raw_query = payload.get("query")
            query, extensions = persisted_request(
                raw_query if isinstance(raw_query, str) else None,
                payload.get("extensions"),
                payload,
            )
            self._extensions[message["id"]] = extensions if isinstance(extensions, dict) else None
            # Strawberry reads payload["query"]; None lets the trusted documents decide.
            message = {**message, "payload": {**payload, "query": query}}  # type: ignore[typeddict-item]
        try:
            await super().handle_subscribe(message)
        finally:
            if message.get("id") not in self.operations:
                self._extensions.pop(message.get("id", ""), None)

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        _operation_extensions.set(self._extensions.pop(operation.id, None))
        await super().run_operation(operation)


def apollo_manifest(documents: TrustedDocuments) -> str:
    """Apollo's persisted-query manifest (``@apollo/generate-persisted-query-manifest``'s
    format, read by ``generatePersistedQueryIdsFromManifest``): each operation as Apollo
    Client sends it, under the hash Apollo's link computes for it."""
    operations = []
    for document in sorted(documents, key=lambda d: d.name):
        apollo = documents.apollo_form(document.name)
        operations.append(
            {
                "id": apollo.sha256,
                "name": apollo.name,
                "type": apollo.operation.value,
                "body": apollo.text,
            }
        )
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def relay_manifest(documents: TrustedDocuments) -> str:
    """Relay's persisted queries: ``{"<doc_id>": "<text>"}``, the id sent as ``doc_id``."""
    by_id = {document.sha256: document.text for document in sorted(documents, key=lambda d: d.name)}
    return json.dumps(by_id, indent=2, ensure_ascii=False) + "\n"
