"""Liveness and readiness for the load balancer."""

from __future__ import annotations

import asyncio
import logging

from litestar import Request, get
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text

from app.core.runtime import Runtime

log = logging.getLogger("seddel.health")


@get("/health/live", summary="The process is up", tags=["operations"], sync_to_thread=False)
def live() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/health/ready",
    summary="Database and object storage are reachable",
    description="200 when both answer within two seconds, 503 naming what failed otherwise.",
    tags=["operations"],
)
async def ready(request: Request) -> Response[dict[str, str]]:
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
        {"status": "ok" if healthy else "unavailable", **results},
        status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE,
    )


async def _database(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        await session.execute(text("SELECT 1"))


HEALTH_ROUTES = [live, ready]
