"""GET /metrics: Prometheus' text exposition format, documented as what it is.

Litestar's PrometheusController answers the same but declares no media type, so the OpenAPI
document called it JSON."""

from __future__ import annotations

import os

from litestar import Response, get
from litestar.datastructures import CacheControlHeader
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)


@get(
    "/metrics",
    operation_id="metrics",
    tags=["operations"],
    summary="Prometheus metrics",
    description=(
        "Counters and histograms of HTTP requests and GraphQL operations (labelled only with "
        "the server's own vocabulary: route templates, trusted document names, `other`), in "
        "Prometheus' text exposition format. For the scraper: keep it off the public "
        "internet."
    ),
    media_type=CONTENT_TYPE_LATEST,
    response_description="Prometheus text exposition format.",
    cache_control=CacheControlHeader(no_store=True),
    sync_to_thread=False,
)
def metrics() -> Response[bytes]:
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ or "prometheus_multiproc_dir" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


METRICS_ROUTES = [metrics]
