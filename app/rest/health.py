"""Liveness and readiness for the load balancer."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from litestar import Request, get
from litestar.openapi import ResponseSpec
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text

from app.core.runtime import Runtime
from app.notifications.service.senders import live_senders

log = logging.getLogger("seddel.health")


@dataclass
class Liveness:
    status: str  # "ok"


@dataclass
class Readiness:
    status: str  # "ok" or "unavailable"
    database: str  # "ok" or "unavailable"
    storage: str  # "ok" or "unavailable"
    # The channels that really deliver: "email", "push:ios", "push:android", "push:web".
    senders: list[str]


@get("/health/live", summary="The process is up", tags=["operations"], sync_to_thread=False)
def live() -> Liveness:
    return Liveness(status="ok")


@get(
    "/health/ready",
    summary="Database and object storage are reachable",
    description=(
        "200 when both answer within two seconds, 503 naming what failed otherwise;"
        " `senders` lists the notification channels that are configured to deliver."
    ),
    tags=["operations"],
    responses={
        HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
            data_container=Readiness,
            description="Not ready: the checks that failed say `unavailable`.",
            generate_examples=False,
        )
    },
)
async def ready(request: Request) -> Response[Readiness]:
    runtime: Runtime = request.app.state.runtime
    checks = {"database": _database(runtime), "storage": runtime.storage.ping()}
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, timeout=2)
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; say which
            log.warning("readiness check failed", extra={"check": name, "error": repr(exc)})
            results[name] = "unavailable"
    healthy = all(v == "ok" for v in results.values())
    return Response(
        Readiness(
            status="ok" if healthy else "unavailable",
            senders=live_senders(runtime.settings),
            **results,
        ),
        status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE,
    )


async def _database(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        await session.execute(text("SELECT 1"))


HEALTH_ROUTES = [live, ready]
