"""What the access log costs (issue 15): groupDay, childDay and childPhotos, each measured with the
log on and off in the same run, one after the other (both orders), so that the ratio holds on a
shared machine. Each row's floor is the other setting: `ratio` is on/off (or off/on).

Two entries: `run_access_log` is part of the full `make bench` (an admin reads); `seddel bench
--access-log` (`main_alone`) runs it alone on a small database of its own, as a pædagog of the
group reads (staff: every child's read is logged: rows INSERTed, by the compiled statement
itself for groupDay and childDay, and COMMIT where a read would roll back), and prints the
overhead against the issue's budget (at most one extra statement per request, at most 10 %
median latency on groupDay and childDay)."""

from __future__ import annotations

import asyncio
import base64
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from sqlalchemy import insert, text

from app.bench.measure import Meter

Post = Callable[..., Awaitable[dict[str, Any]]]
Measure = Callable[..., Awaitable[dict[str, Any]]]

# The small volume of the mode alone: 4 institutions, 4 groups of 25 children (400 children).
ALONE_INSTITUTIONS = 4
ALONE_GROUPS = 4
ALONE_CHILDREN = 25
STAFF_EMAIL = "paedagog0@bench.example"
BUDGET_STATEMENTS = 1
BUDGET_MEDIAN = 0.10


def _global(type_name: str, raw: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{raw}".encode()).decode()


def _child(child_id: uuid.UUID) -> str:
    return _global("Child", child_id)


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


async def _seed_alone(owner_url: str, password_hash: str) -> dict[str, Any]:
    """The small volume, a pædagog staffing the first institution's first group, ANALYZE."""
    from app.accounts.models import User
    from app.bench.seed import _user, insert_volume
    from app.db import create_engine, new_id, utcnow
    from app.institutions.models import StaffGroup, StaffMembership

    engine = create_engine(owner_url)
    async with engine.begin() as connection:
        data = await insert_volume(
            connection,
            password_hash,
            institutions=ALONE_INSTITUTIONS,
            groups_per_institution=ALONE_GROUPS,
            children_per_group=ALONE_CHILDREN,
        )
        first_child = data["children"][0]
        institution_id, group_id = (
            await connection.execute(
                text("SELECT institution_id, group_id FROM children WHERE id = :c"),
                {"c": first_child},
            )
        ).one()
        now = utcnow()
        user_id, staff_id = new_id(), new_id()
        await connection.execute(
            insert(User), [_user(user_id, "Pædagog 0", STAFF_EMAIL, password_hash, now)]
        )
        await connection.execute(
            insert(StaffMembership),
            [
                {
                    "id": staff_id,
                    "institution_id": institution_id,
                    "user_id": user_id,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        await connection.execute(
            insert(StaffGroup),
            [
                {
                    "id": new_id(),
                    "institution_id": institution_id,
                    "staff_id": staff_id,
                    "group_id": group_id,
                }
            ],
        )
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return {"group": group_id, "child": first_child}


async def run_alone(requests: int) -> list[dict[str, Any]]:
    from app.bench.gallery import remove_day_photos, seed_day_photos
    from app.bench.run import _metered, fresh_bench
    from app.ops.demo import DEMO_PASSWORD
    from app.server import freeze_startup_heap

    async with fresh_bench(_seed_alone) as bench:
        seeded, owner, runtime, meter = bench.seeded, bench.owner, bench.runtime, bench.meter
        logged = _metered(meter, bench.counted_runtime, runtime, compiled=True)
        unlogged = _metered(meter, bench.counted_runtime, runtime, compiled=True, access_log=False)
        freeze_startup_heap()
        photos = await seed_day_photos(owner, runtime.storage, [seeded["child"]], date.today())
        try:
            async with (
                httpx.AsyncClient(transport=logged, base_url="http://bench") as on,
                httpx.AsyncClient(transport=unlogged, base_url="http://bench") as off,
            ):

                async def post(
                    operation: str,
                    variables: dict[str, Any],
                    token: str | None = None,
                    *,
                    logged: bool = True,
                ) -> dict[str, Any]:
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    response = await (on if logged else off).post(
                        "/graphql",
                        json={"operationName": operation, "variables": variables},
                        headers=headers,
                    )
                    body: dict[str, Any] = response.json()
                    if body.get("errors"):
                        raise RuntimeError(body["errors"])
                    return body

                signed = await post("Login", {"email": STAFF_EMAIL, "password": DEMO_PASSWORD})
                token = signed["data"]["login"]["token"]
                day = await post("GroupDay", {"groupId": _global("Group", seeded["group"])}, token)
                assert len(day["data"]["groupDay"]["children"]) == ALONE_CHILDREN, day
                rows_before = await _log_rows(owner)
                child = _child(seeded["child"])
                reads: dict[str, tuple[str, dict[str, Any]]] = {
                    "groupDay": ("GroupDay", {"groupId": _global("Group", seeded["group"])}),
                    "childDay": ("ChildDay", {"child": child, "date": date.today().isoformat()}),
                    "childPhotos": ("ChildPhotos", {"childId": child}),
                }
                results = []
                for name, (operation, variables) in reads.items():

                    def call(logged: bool, op: str = operation, v: Any = variables) -> Any:
                        async def run(_: int) -> None:
                            await post(op, v, token, logged=logged)

                        return run

                    results.append(await paired(name, requests, call(True), call(False), meter))
                if await _log_rows(owner) <= rows_before:
                    raise AssertionError("the staff's reads left no access-log rows")
                return results
        finally:
            await remove_day_photos(owner, runtime.storage, photos)


async def paired(
    name: str,
    requests: int,
    on: Callable[[int], Awaitable[None]],
    off: Callable[[int], Awaitable[None]],
    meter: Meter,
) -> dict[str, Any]:
    """One read with the log on and off, request by request in turns (on, off, off, on, ...),
    so that the load of a shared machine weighs on both alike; statements per request counted
    at the wire for each (the most any counted request needed)."""
    from app.bench.measure import COUNTED_REQUESTS

    counts: dict[bool, list[int]] = {True: [], False: []}
    with meter.counted():
        for logged, call in ((True, on), (False, off)):
            for i in range(COUNTED_REQUESTS):
                await call(i)
            for i in range(COUNTED_REQUESTS):
                before = meter.snapshot()
                await call(i)
                counts[logged].append(meter.snapshot()[0] - before[0])
    for i in range(5):  # warm caches and pools
        await on(i)
        await off(i)
    timings: dict[bool, list[float]] = {True: [], False: []}
    for i in range(requests):
        for logged in (True, False) if i % 2 == 0 else (False, True):
            started = time.perf_counter()
            await (on if logged else off)(i)
            timings[logged].append(time.perf_counter() - started)

    def figures(logged: bool) -> dict[str, float]:
        return {
            "statements": max(counts[logged]),
            "median_ms": statistics.median(timings[logged]) * 1000,
            "p99_ms": statistics.quantiles(timings[logged], n=100)[98] * 1000,
        }

    return {"operation": name, "on": figures(True), "off": figures(False)}


async def _log_rows(owner: Any) -> int:
    async with owner.connect() as c:
        rows: int = (await c.execute(text("SELECT count(*) FROM child_access_log"))).scalar_one()
    return rows


def print_alone(results: list[dict[str, Any]], requests: int) -> None:
    children = ALONE_INSTITUTIONS * ALONE_GROUPS * ALONE_CHILDREN
    print(
        f"access log on vs off: {ALONE_INSTITUTIONS} institutions, {children} children"
        f" (PostgreSQL), a pædagog of the group reads; {requests} requests each, in turns"
    )
    header = ("operation", "stmts", "median ms", "p99 ms", "stmts", "median ms", "p99 ms", "")
    print("{:<13}{:>6}{:>11}{:>9}  |{:>6}{:>11}{:>9}".format(*header[:-1]) + "  log on | log off")
    for r in results:
        on, off = r["on"], r["off"]
        print(
            f"{r['operation']:<13}{on['statements']:>6}{on['median_ms']:>11.2f}{on['p99_ms']:>9.2f}"
            f"  |{off['statements']:>6}{off['median_ms']:>11.2f}{off['p99_ms']:>9.2f}"
        )
    print()
    print(
        f"budget (issue 15): at most {BUDGET_STATEMENTS} extra statement per request, at most"
        f" {BUDGET_MEDIAN:.0%} median latency on groupDay and childDay"
    )
    for r in results:
        on, off = r["on"], r["off"]
        extra = on["statements"] - off["statements"]
        overhead = on["median_ms"] / off["median_ms"] - 1
        timed = r["operation"] in ("groupDay", "childDay")
        within = extra <= BUDGET_STATEMENTS and (not timed or overhead <= BUDGET_MEDIAN)
        print(
            f"  {r['operation']:<12} +{extra} statement, median {overhead:+.1%}"
            f"{'' if timed else ' (no latency budget)'}: {'within' if within else 'OVER'} budget"
        )


def main_alone(requests: int) -> None:
    results = asyncio.run(run_alone(requests))
    print_alone(results, requests)
