"""What the access log costs (issue 15): groupDay, childDay and childPhotos, each measured with the
log on and off in the same run, one after the other (both orders), so that the ratio holds on a
shared machine. Each row's floor is the other setting: `ratio` is on/off (or off/on).

Two entries: `run_access_log` is part of the full `make bench` (an admin reads); `seddel bench
--access-log` (`main_alone`) runs it alone on a small database of its own, as a pædagog of the
group reads (staff: every child's read is logged: one INSERT, and COMMIT where a read would
roll back), and prints the overhead against the issue's budget (at most one extra statement
per request, at most 10 % median latency on groupDay and childDay)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

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
    from app.accounts.service import auth as accounts
    from app.bench.gallery import remove_day_photos, seed_day_photos
    from app.bench.measure import measure
    from app.bench.run import _metered, urls
    from app.bench.seed import recreate_database
    from app.bench.wire import WireProxy
    from app.config import Settings
    from app.db import create_engine
    from app.ops.demo import DEMO_PASSWORD
    from app.ops.migrate import migrate
    from app.server import build_runtime, freeze_startup_heap

    owner_url, app_url = urls()
    settings = Settings(database_url=app_url, migration_database_url=owner_url, log_json=True)
    await recreate_database(owner_url)
    await asyncio.to_thread(migrate, settings)
    owner = create_engine(owner_url)
    async with owner.begin() as connection:
        await connection.execute(text("ALTER ROLE seddel_app LOGIN"))
    password_hash = await accounts.hash_password(settings, DEMO_PASSWORD)
    seeded = await _seed_alone(owner_url, password_hash)
    app_address = make_url(app_url)
    with WireProxy(app_address.host or "127.0.0.1", app_address.port or 5432) as proxy:
        counted_url = app_address.set(host="127.0.0.1", port=proxy.port)
        counted_runtime = build_runtime(
            dataclasses.replace(
                settings, database_url=counted_url.render_as_string(hide_password=False)
            )
        )
        runtime = build_runtime(settings)
        logging.disable(logging.INFO)
        meter = Meter(counted_runtime.engine, proxy)
        logged = _metered(meter, counted_runtime, runtime, compiled=True)
        unlogged = _metered(meter, counted_runtime, runtime, compiled=True, access_log=False)
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
                results = await run_access_log(
                    post=post,
                    measure=measure,
                    meter=meter,
                    admin_token=token,
                    group=_global("Group", seeded["group"]),
                    child_id=seeded["child"],
                    day=date.today().isoformat(),
                    requests=requests,
                )
                if await _log_rows(owner) <= rows_before:
                    raise AssertionError("the staff's reads left no access-log rows")
                return results
        finally:
            await remove_day_photos(owner, runtime.storage, photos)
            for engine in (counted_runtime.engine, runtime.engine, owner):
                if engine is not None:
                    await engine.dispose()


async def _log_rows(owner: Any) -> int:
    async with owner.connect() as c:
        rows: int = (await c.execute(text("SELECT count(*) FROM child_access_log"))).scalar_one()
    return rows


def print_alone(results: list[dict[str, Any]], requests: int) -> None:
    children = ALONE_INSTITUTIONS * ALONE_GROUPS * ALONE_CHILDREN
    print(
        f"access log on vs off: {ALONE_INSTITUTIONS} institutions, {children} children"
        f" (PostgreSQL), a pædagog of the group reads; {requests} requests per row"
    )
    header = ("operation", "stmts", "trips", "txns", "median ms", "p99 ms", "other ms", "ratio")
    print("{:<26}{:>6}{:>6}{:>6}{:>11}{:>9}{:>10}{:>7}".format(*header))
    for r in results:
        print(
            f"{r['operation']:<26}{r['statements']:>6}{r['round_trips']:>6}"
            f"{r['transactions']:>6}{r['median_ms']:>11.2f}{r['p99_ms']:>9.2f}"
            f"{r['raw_sql_median_ms']:>10.2f}{r['ratio']:>7.2f}"
        )
    print()
    print("overhead (both orders pooled: on/off of the two rows' medians):")
    by_name = {r["operation"]: r for r in results}
    for name in ("groupDay", "childDay", "childPhotos"):
        on, off = by_name[f"{name} log on (on/off)"], by_name[f"{name} log off (off/on)"]
        # Each row measured the other setting as its floor: pool both measurements.
        on_median = (on["median_ms"] + off["raw_sql_median_ms"]) / 2
        off_median = (off["median_ms"] + on["raw_sql_median_ms"]) / 2
        extra = on["statements"] - off["statements"]
        overhead = on_median / off_median - 1
        budget = name != "childPhotos"
        verdict = (
            "within budget"
            if extra <= BUDGET_STATEMENTS and (not budget or overhead <= BUDGET_MEDIAN)
            else "OVER BUDGET"
        )
        print(
            f"  {name:<12} +{extra} statement(s), median {on_median:.2f} vs {off_median:.2f} ms"
            f" ({overhead:+.1%}), p99 {on['p99_ms']:.2f} vs {off['p99_ms']:.2f} ms: {verdict}"
        )


def main_alone(requests: int) -> None:
    results = asyncio.run(run_alone(requests))
    print_alone(results, requests)
