"""GraphQL operations in the metrics: by name, with their outcome and time.

Labels come only from the server's own vocabulary: an operation is named by its trusted
document's name, anything else a client sends is `other`, so no client can add series (each
label value is a series that Prometheus keeps for the life of the process)."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator

from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension

OPERATIONS = Counter(
    "seddel_graphql_operations_total",
    "GraphQL operations by name, type and outcome",
    ["operation", "type", "outcome"],
)
OPERATION_SECONDS = Histogram(
    "seddel_graphql_operation_seconds",
    "GraphQL operation latency by name",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


OTHER = "other"


def count_operation(name: str, kind: str, outcome: str, seconds: float) -> None:
    """One operation in the metrics (`name` already one of the server's own)."""
    OPERATIONS.labels(name, kind, outcome).inc()
    OPERATION_SECONDS.labels(name).observe(seconds)


class OperationMetrics(SchemaExtension):
    def __init__(self, *, known: Collection[str]) -> None:
        self.known = known

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        name = context.operation_name or OTHER
        if name not in self.known:
            name = OTHER
        try:
            kind = context.operation_type.value
        except RuntimeError:
            kind = "unknown"
        result = context.result
        outcome = "error" if (result is None or result.errors) else "ok"
        count_operation(name, kind, outcome, time.perf_counter() - started)
