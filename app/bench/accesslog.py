"""What the access log costs (issue 15): groupDay, childDay and childPhotos read by an admin
(every child's read is logged: one INSERT, and COMMIT where a read would roll back), each
measured with the log on and off in the same run, interleaved, so that the ratio holds on a
shared machine. Each row's floor is the other setting: `ratio` is on/off (or off/on)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from app.bench.measure import Meter

Post = Callable[..., Awaitable[dict[str, Any]]]
Measure = Callable[..., Awaitable[dict[str, Any]]]


def _child(child_id: uuid.UUID) -> str:
    return base64.b64encode(f"Child:{child_id}".encode()).decode()


async def run_access_log(
    *,
    post: Post,
    measure: Measure,
    meter: Meter,
    admin_token: str,
    group: str,
    child_id: uuid.UUID,
    day: str,
    requests: int,
) -> list[dict[str, Any]]:
    child = _child(child_id)
    reads: dict[str, tuple[str, dict[str, Any]]] = {
        "groupDay": ("GroupDay", {"groupId": group}),
        "childDay": ("ChildDay", {"child": child, "date": day}),
        "childPhotos": ("ChildPhotos", {"childId": child}),
    }
    results = []
    for name, (operation, variables) in reads.items():

        def call(logged: bool, operation: str = operation, variables: Any = variables) -> Any:
            async def run(_: int) -> None:
                await post(operation, variables, admin_token, logged=logged)

            return run

        results.append(
            await measure(f"{name} log on (on/off)", requests, call(True), meter, call(False))
        )
        results.append(
            await measure(f"{name} log off (off/on)", requests, call(False), meter, call(True))
        )
    return results
