"""create_app(settings) -> Litestar. The lifespan owns engine, storage and broker."""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import ASGIMiddleware, DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig
from litestar.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import app.root.handlers  # noqa: F401  what one slice records reaches the others
from app.config import Settings, get_settings
from app.core.logs import configure_logging, request_id_var
from app.core.runtime import Runtime
from app.db import create_engine, session_factory
from app.realtime import create_broker
from app.rest.files import FILE_ROUTES
from app.rest.gallery import GALLERY_ROUTES
from app.rest.health import HEALTH_ROUTES
from app.rest.metrics import METRICS_ROUTES
from app.rest.oidc import OIDC_ROUTES
from app.rest.reports import REPORT_ROUTES
from app.rest.roster import ROSTER_ROUTES
from app.rest.uploads import UPLOAD_ROUTES
from app.root.graphql import graphql_controller
from app.storage import create_storage


def freeze_startup_heap() -> None:
    """Move everything alive after start-up (modules, the schema, mappers, compiled caches:
    ~250,000 objects) out of the collector's reach. A full collection walked them all each
    time, ~100-300 ms with the process stopped: the p99 spikes of the hot reads. Requests'
    own garbage is collected as before."""
    gc.collect()
    gc.freeze()


def build_runtime(settings: Settings) -> Runtime:
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        storage=create_storage(settings),
        broker=create_broker(settings),
    )


class RequestIdMiddleware(ASGIMiddleware):
    """Every request gets an id (the caller's X-Request-ID if sane), logged and echoed back."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = (
            incoming if 8 <= len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        )
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await next_app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


def client_address(settings: Settings) -> DefineMiddleware:
    """The one place the client's address is decided, for throttling, sessions and logs alike:
    the socket's peer, or, when that peer is one of SEDDEL_TRUSTED_PROXIES, the nearest
    address in X-Forwarded-For that is not itself a trusted proxy (uvicorn's middleware,
    which also takes X-Forwarded-Proto). `seddel serve` leaves uvicorn's own off, so the
    rule is the same under any ASGI server and in tests."""
    # uvicorn types its ASGI callables with its own protocols, Litestar with its own.
    middleware: Any = ProxyHeadersMiddleware
    return DefineMiddleware(middleware, trusted_hosts=list(settings.trusted_proxies))


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Litestar:
    """The whole server. Tests pass a runtime of their own (a rolled-back connection)."""
    settings = settings or (runtime.settings if runtime else get_settings())
    owned = runtime is None
    live = runtime or build_runtime(settings)
    configure_logging(json_lines=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.runtime = live
        if owned:
            await live.broker.start()
            freeze_startup_heap()  # tests' apps (a runtime of their own) keep the collector
        try:
            yield
        finally:
            if owned:
                await live.broker.close()
                if live.engine is not None:
                    await live.engine.dispose()

    graphql = graphql_controller(live, settings)
    prometheus = PrometheusConfig(app_name="seddel", prefix="seddel", group_path=True)
    return Litestar(
        route_handlers=[
            graphql,
            *HEALTH_ROUTES,
            *FILE_ROUTES,
            *UPLOAD_ROUTES,
            *REPORT_ROUTES,
            *ROSTER_ROUTES,
            *GALLERY_ROUTES,
            *METRICS_ROUTES,
            *OIDC_ROUTES,
        ],
        lifespan=[lifespan],
        state=State({"runtime": live}),
        middleware=[client_address(settings), RequestIdMiddleware(), prometheus.middleware],
        openapi_config=OpenAPIConfig(
            title="Seddel REST",
            version="0.1.0",
            description="Uploads, downloads and operations around the GraphQL API at /graphql.",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="The session token of the GraphQL API's `login`.",
                    )
                }
            ),
        ),
        debug=False,
        # Our JSON logging (app/core/logs.py) stays in charge; Litestar must not replace it.
        logging_config=None,
    )
