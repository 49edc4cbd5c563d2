"""The GraphQL endpoint: the assembled schema behind Litestar's controller, and the context
every operation gets (built per HTTP request or websocket)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTasks
from litestar.di import Provide
from litestar.exceptions import NotFoundException, ValidationException
from litestar.serialization import encode_json
from litestar.status_codes import HTTP_200_OK
from litestar.types import Scope
from strawberry.litestar import make_graphql_controller
from strawberry.litestar.controller import GraphQLResource

from app.api.persisted import PersistedDocumentsTransportWSHandler, PersistedDocumentsView
from app.config import Settings
from app.core.logs import request_id_var
from app.core.runtime import Runtime
from app.db import end_request
from app.privacy.accesslog.service import recording as access_log
from app.root.context import Context
from app.root.schema import build_schema


def graphql_controller(runtime: Runtime, settings: Settings) -> type[Controller]:
    """/graphql (GraphiQL outside production), not listed in the REST OpenAPI document."""
    schema = build_schema(settings)
    strawberry_controller = make_graphql_controller(
        schema,
        path="/graphql",
        context_getter=_context_getter(runtime),
        graphql_ide=None if settings.production else "graphiql",
    )

    # Persisted documents as clients send them: Relay's doc_id, hashed GETs with any
    # Accept, and extensions over graphql-transport-ws (app/api/persisted.py).
    class GraphQLController(PersistedDocumentsView, strawberry_controller):  # type: ignore[misc,valid-type]
        graphql_transport_ws_handler_class = PersistedDocumentsTransportWSHandler
        # Strawberry provides the (empty) response with sync_to_thread=True: a hop to the
        # thread pool and back on every request, which under load waits for the GIL.
        # Its HTTP handlers also ask for the response and the root value (always None
        # here) beside the context: three independent dependencies, which Litestar
        # resolves in an anyio task group (a task each) on every request. Ours ask for
        # the context alone, which carries its response: one dependency after the other.
        dependencies = {
            **strawberry_controller.dependencies,
            "response": Provide(_empty_response, sync_to_thread=False),
            "context": Provide(_http_context, sync_to_thread=False),
        }

        @post(status_code=HTTP_200_OK)
        async def handle_http_post(
            self, request: Request[Any, Any, Any], context: Any
        ) -> Response[GraphQLResource | str]:
            self.temporal_response = context.response
            if schema.direct is not None:
                # A compiled trusted document the pipeline would answer alike (app/api/direct.py).
                answered = await schema.direct.answer(
                    await request.body(), request.content_type[0], context
                )
                if answered is not None:
                    return self.create_response(answered, context.response)  # type: ignore[arg-type]
            return await self.execute_request(request=request, context=context, root_value=None)

        @get(raises=[ValidationException, NotFoundException])
        async def handle_http_get(
            self, request: Request[Any, Any, Any], context: Any
        ) -> Response[GraphQLResource | str]:
            self.temporal_response = context.response
            return await self.execute_request(request=request, context=context, root_value=None)

        def encode_json(self, data: object) -> bytes:
            # Litestar's encoder (msgspec), ~8x faster than Strawberry's default json.dumps
            # on an inbox-sized answer; UTF-8 as it is, no ASCII escapes.
            return encode_json(data)

    GraphQLController.include_in_schema = False
    return GraphQLController


def _empty_response() -> Response[Any]:
    return Response({}, background=BackgroundTasks([]))


def _http_context(custom_context: Any, request: Request[Any, Any, Any]) -> Any:
    """Strawberry's HTTP context for our Context: the request and a fresh (empty) response,
    the one Strawberry's view merges into the answer (headers, cookies, background)."""
    custom_context.request = request
    custom_context.response = _empty_response()
    return custom_context


def _context_getter(runtime: Runtime) -> Any:
    async def context_getter(scope: Scope) -> AsyncIterator[Context]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        auth = headers.get("authorization", "")
        client = scope.get("client")
        language = headers.get("accept-language", "da")[:2].lower()
        # One session, one connection, one transaction per request: the sign-in is its first
        # statement, a read ends in ROLLBACK (COMMIT when the sign-in noted the session's
        # last use), a mutation commits its own part (app.db.write_transaction).
        async with runtime.sessions() as db:
            yield Context(
                runtime=runtime,
                db=db,
                request_id=request_id_var.get(),
                token=auth[7:].strip() if auth.lower().startswith("bearer ") else None,
                client_address=client[0] if client else None,
                user_agent=headers.get("user-agent"),
                language=language if language in ("da", "en") else "da",
            )
            # Before the response is sent (Litestar runs a dependency's clean-up first): the
            # access log's rows commit with the request, or the client gets an error instead.
            if runtime.settings.access_log:
                await access_log.flush(db)
            else:
                access_log.discard(db)
            await end_request(db)

    return context_getter
