"""`make bench`: a realistic volume in PostgreSQL, then per operation the SQL statements, the
database round trips and transactions per request (counted at the wire), median and p99
latency, and the ratio to the raw SQL that fetches the same data; then what row-level security
costs the hot statements, and the hot reads' throughput over HTTP against the real server.
The volume is seeded in seed.py, measured with measure.py (counts: wire.py); the operations of
presence, announcements, the gallery and messaging are in <domain>.py; RLS in rls.py; the HTTP
mode in throughput.py; the notification worker's throughput in push.py; the roster import's
time and memory in roster.py."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.accounts.service import auth as accounts
from app.bench.announcements import run_announcements
from app.bench.measure import Meter, MeteredTransport, Recorded, measure, same_answers
from app.bench.messaging import run_messaging
from app.bench.presence import run_presence
from app.bench.rls import measure_rls, print_rls
from app.bench.rls_sent import measure_sent
from app.bench.second_factor import run_second_factor
from app.bench.seed import (
    CHILDREN_PER_GROUP,
    ENTRIES_PER_CHILD,
    GROUPS_PER_INSTITUTION,
    INSTITUTIONS,
    recreate_database,
    seed,
)
from app.bench.subjects import find_subjects
from app.bench.throughput import print_throughput, run_throughput
from app.bench.wire import WireProxy
from app.config import Settings
from app.db import create_engine
from app.ops.demo import DEMO_PASSWORD
from app.ops.migrate import migrate
from app.server import build_runtime, create_app, freeze_startup_heap

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/seddel_bench"


def urls() -> tuple[str, str]:
    """The owner's URL (SEDDEL_BENCH_DATABASE_URL) and the application role's."""
    owner_url = os.environ.get("SEDDEL_BENCH_DATABASE_URL", DEFAULT_URL)
    app_url = make_url(owner_url).set(username="seddel_app").render_as_string(hide_password=False)
    return owner_url, app_url


@dataclasses.dataclass(frozen=True)
class FreshBench:
    """A freshly migrated and seeded bench database, the application twice over it (counted:
    through the wire proxy, its statements and round trips metered; direct) and the meter."""

    settings: Settings
    owner: Any
    runtime: Any
    counted_runtime: Any
    meter: Meter
    password_hash: str
    seeded: Any


@contextlib.asynccontextmanager
async def fresh_bench(
    seed_with: Callable[[str, str], Awaitable[Any]],
) -> AsyncIterator[FreshBench]:
    """Recreate and migrate the bench database, seed it with `seed_with(owner_url,
    password_hash)`, and build what a run measures with; the engines are disposed after."""
    owner_url, app_url = urls()
    settings = Settings(database_url=app_url, migration_database_url=owner_url, log_json=True)
    await recreate_database(owner_url)
    await asyncio.to_thread(migrate, settings)
    owner = create_engine(owner_url)
    async with owner.begin() as connection:
        await connection.execute(text("ALTER ROLE seddel_app LOGIN"))
    password_hash = await accounts.hash_password(settings, DEMO_PASSWORD)
    seeded = await seed_with(owner_url, password_hash)
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
        meter = Meter(counted_runtime.engine, proxy, runtime.engine)
        try:
            yield FreshBench(
                settings, owner, runtime, counted_runtime, meter, password_hash, seeded
            )
        finally:
            for engine in (counted_runtime.engine, runtime.engine, owner):
                if engine is not None:
                    await engine.dispose()


async def run(requests: int) -> list[dict[str, Any]]:
    async with fresh_bench(seed) as bench:
        meter, counted, direct = bench.meter, bench.counted_runtime, bench.runtime
        transport = _metered(meter, counted, direct, compiled=True)
        # The same applications with compiled trusted documents off: the resolvers' figures.
        resolvers = _metered(meter, counted, direct, compiled=False)
        # The same with the access log off: what the log costs (app/bench/accesslog.py).
        unlogged = _metered(meter, counted, direct, compiled=True, access_log=False)
        freeze_startup_heap()  # as the server does once started
        return await _operations(
            (transport, resolvers, unlogged),
            bench.runtime,
            meter,
            bench.owner,
            bench.settings,
            bench.password_hash,
            bench.seeded,
            requests,
        )


def _metered(
    meter: Meter, counted: Any, direct: Any, *, compiled: bool, access_log: bool = True
) -> MeteredTransport:
    def app(runtime: Any) -> Any:
        settings = dataclasses.replace(
            runtime.settings, compiled_documents=compiled, access_log=access_log
        )
        return create_app(runtime=dataclasses.replace(runtime, settings=settings))

    return MeteredTransport(
        meter,
        counted=httpx.ASGITransport(app=app(counted), client=("127.0.0.1", 1)),
        direct=httpx.ASGITransport(app=app(direct), client=("127.0.0.1", 1)),
    )


async def _operations(
    transports: tuple[httpx.AsyncBaseTransport, httpx.AsyncBaseTransport, httpx.AsyncBaseTransport],
    runtime: Any,
    meter: Meter,
    owner: Any,
    settings: Settings,
    password_hash: str,
    data: dict[str, Any],
    requests: int,
) -> list[dict[str, Any]]:
    results = []
    transport, resolvers, unlogged = transports
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
        httpx.AsyncClient(transport=resolvers, base_url="http://bench") as http_resolvers,
        httpx.AsyncClient(transport=unlogged, base_url="http://bench") as http_unlogged,
    ):
        guardians = data["guardians"]
        tokens: list[str] = []
        token_emails: list[str] = []

        async def post(
            operation: str,
            variables: dict[str, Any],
            token: str | None = None,
            *,
            compiled: bool = True,
            logged: bool = True,
        ) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            client = http if compiled else http_resolvers
            response = await (client if logged else http_unlogged).post(
                "/graphql",
                json={"operationName": operation, "variables": variables},
                headers=headers,
            )
            body: dict[str, Any] = response.json()
            if body.get("errors"):
                raise RuntimeError(body["errors"])
            return body

        async def login(i: int) -> None:
            body = await post(
                "Login", {"email": guardians[i * 7 % len(guardians)], "password": DEMO_PASSWORD}
            )
            tokens.append(body["data"]["login"]["token"])
            token_emails.append(guardians[i * 7 % len(guardians)])

        async def login_floor(i: int) -> None:
            async with owner.connect() as c:
                await c.execute(
                    text("SELECT * FROM users WHERE email_key = :e"),
                    {"e": guardians[i * 7 % len(guardians)]},
                )
            await asyncio.to_thread(
                accounts.hasher_for(settings).verify, password_hash, DEMO_PASSWORD
            )

        results.append(await measure("login", max(20, requests // 10), login, meter, login_floor))

        async def me(i: int) -> None:
            await post("Me", {}, tokens[i % len(tokens)])

        async def me_floor(i: int) -> None:
            token_hash = accounts.hash_token(tokens[i % len(tokens)])
            async with owner.connect() as c:
                await c.execute(
                    text(
                        "SELECT u.*, c.*, g.name, i.name FROM sessions s"
                        " JOIN users u ON u.id = s.user_id"
                        " JOIN guardian_links l ON l.user_id = u.id"
                        " JOIN children c ON c.id = l.child_id"
                        " JOIN groups g ON g.id = c.group_id"
                        " JOIN institutions i ON i.id = c.institution_id"
                        " WHERE s.token_hash = :h"
                    ),
                    {"h": token_hash},
                )

        results.append(await measure("me", requests, me, meter, me_floor, own_sql=True))

        async def me_resolvers(i: int) -> None:
            await post("Me", {}, tokens[i % len(tokens)], compiled=False)

        results.append(await measure("me resolvers", requests, me_resolvers, meter, me_floor))
        admin = await post("Login", {"email": "admin0@bench.example", "password": DEMO_PASSWORD})
        admin_token = admin["data"]["login"]["token"]
        for token in [*tokens, admin_token]:
            await same_answers(post, "Me", {}, token)
        me_admin = await post("Me", {}, admin_token)
        institution_id = me_admin["data"]["me"]["institutions"][0]["institution"]["id"]
        first_children = await post(
            "InstitutionOverview", {"id": institution_id, "first": 40}, admin_token
        )
        child_ids = [e["node"]["id"] for e in first_children["data"]["node"]["children"]["edges"]]

        async def node(i: int) -> None:
            await post("Node", {"id": child_ids[i % len(child_ids)]}, admin_token)

        async def node_floor(i: int) -> None:
            async with owner.connect() as c:
                await c.execute(
                    text(
                        "SELECT c.*, g.name FROM children c JOIN groups g ON g.id = c.group_id"
                        " WHERE c.id = :id"
                    ),
                    {"id": data["children"][i % 100]},
                )

        results.append(await measure("node", requests, node, meter, node_floor))

        def my_child(i: int) -> uuid.UUID:
            child: uuid.UUID = data["child_of"][token_emails[i % len(tokens)]]
            return child

        from app.bench.gallery import DAY_PHOTOS, remove_day_photos, seed_day_photos

        day_photos = await seed_day_photos(
            owner, runtime.storage, sorted({my_child(i) for i in range(len(tokens))}), date.today()
        )

        async def child_day(i: int) -> None:
            child = base64.b64encode(f"Child:{my_child(i)}".encode()).decode()
            body = await post(
                "ChildDay",
                {"child": child, "date": date.today().isoformat()},
                tokens[i % len(tokens)],
            )
            day = body["data"]["childDay"]
            assert len(day["entries"]) == ENTRIES_PER_CHILD
            assert len(day["photos"]) == DAY_PHOTOS and all(p["url"] for p in day["photos"])

        async def child_day_floor(i: int) -> None:
            async with owner.connect() as c:
                await c.execute(text("SELECT * FROM children WHERE id = :c"), {"c": my_child(i)})
                await c.execute(
                    text(
                        "SELECT e.*, u.name FROM day_entries e JOIN users u ON u.id = e.recorded_by"
                        " WHERE e.child_id = :c AND e.day = :d ORDER BY e.at"
                    ),
                    {"c": my_child(i), "d": date.today()},
                )
                await c.execute(
                    text(
                        "SELECT p.*, f.variants, u.name FROM photo_children pc"
                        " JOIN photos p ON p.id = pc.photo_id"
                        " JOIN stored_files f ON f.id = p.file_id"
                        " JOIN users u ON u.id = p.created_by"
                        " WHERE pc.child_id = :c AND p.taken_on = :d ORDER BY p.id"
                    ),
                    {"c": my_child(i), "d": date.today()},
                )

        results.append(
            await measure("childDay", requests, child_day, meter, child_day_floor, own_sql=True)
        )

        async def child_day_resolvers(i: int) -> None:
            child = base64.b64encode(f"Child:{my_child(i)}".encode()).decode()
            variables = {"child": child, "date": date.today().isoformat()}
            await post("ChildDay", variables, tokens[i % len(tokens)], compiled=False)

        results.append(
            await measure(
                "childDay resolvers", requests, child_day_resolvers, meter, child_day_floor
            )
        )
        from app.bench.accesslog import run_access_log

        bears = await post("InstitutionOverview", {"id": institution_id, "first": 1}, admin_token)
        results += await run_access_log(
            post=post,
            measure=measure,
            meter=meter,
            admin_token=admin_token,
            group=bears["data"]["node"]["groups"][0]["id"],
            child_id=my_child(0),
            day=date.today().isoformat(),
            requests=requests,
        )
        await remove_day_photos(owner, runtime.storage, day_photos)
        results += await run_presence(post, owner, meter, data, admin_token, institution_id, tokens)
        results += await run_announcements(
            post, owner, meter, requests, admin_token, institution_id
        )
        from app.bench.gallery import run_gallery

        results.extend(
            await run_gallery(
                http=http,
                post=post,
                measure=measure,
                meter=meter,
                owner=owner,
                admin_token=admin_token,
                institution_id=institution_id,
                group_children=data["children"][:CHILDREN_PER_GROUP],
                guardian_email=guardians[0],
                password=DEMO_PASSWORD,
                requests=requests,
            )
        )
        results += await run_messaging(
            post,
            first_children["data"]["node"],
            institution_id,
            admin_token,
            owner,
            meter,
            requests,
        )
        from app.bench.invitations import run_invitations

        results += await run_invitations(
            post, runtime, owner, meter, settings, requests, admin_token, institution_id
        )
        # Last: it enrols guardians, whose plain logins then step up.
        results += await run_second_factor(
            post, owner, meter, settings, password_hash, guardians, max(20, requests // 10)
        )
    return results


async def _standalone(args: argparse.Namespace) -> None:
    """--rls / --http on their own: against the database one full run seeded (migrated to the
    newest revision first, so that a new migration is measured without seeding again)."""
    owner_url, app_url = urls()
    await asyncio.to_thread(migrate, settings_of(owner_url, app_url))
    owner = create_engine(owner_url)
    try:
        if args.push:
            # The local providers need the dev extras (hypercorn, http_ece): imported when used.
            from app.bench.push import print_push, run_push

            await _seeded(owner, owner_url, settings_of(owner_url, app_url))
            print_push(await run_push(owner_url, app_url))
        if args.rls:
            print_rls(await measure_rls(owner_url, app_url, await find_subjects(owner)))
        if args.http:
            print_throughput(
                await run_throughput(owner, owner_url, app_url, args.seconds), args.seconds
            )
    finally:
        await owner.dispose()


async def _after_table(args: argparse.Namespace, sent: dict[str, list[Recorded]]) -> None:
    owner_url, app_url = urls()
    owner = create_engine(owner_url)
    try:
        print()
        print_rls(
            await measure_rls(owner_url, app_url, await find_subjects(owner))
            + await measure_sent(owner_url, app_url, sent)
        )
        if not args.no_push:
            from app.bench.push import print_push, run_push

            print()
            print_push(await run_push(owner_url, app_url))
        if not args.no_http:
            print()
            print_throughput(
                await run_throughput(owner, owner_url, app_url, args.seconds), args.seconds
            )
        if not args.no_roster:
            from app.bench.roster import print_roster, run_roster

            print()
            print_roster(await run_roster(owner_url, app_url))
    finally:
        await owner.dispose()


def settings_of(owner_url: str, app_url: str) -> Settings:
    return Settings(database_url=app_url, migration_database_url=owner_url)


async def _seeded(owner: Any, owner_url: str, settings: Settings) -> None:
    """--push alone on a database no full run seeded yet: seed it as the full run does."""
    async with owner.connect() as c:
        seeded = await c.scalar(text("SELECT EXISTS (SELECT 1 FROM guardian_links)"))
    if seeded:
        return
    async with owner.begin() as connection:
        await connection.execute(text("ALTER ROLE seddel_app LOGIN"))
    await seed(owner_url, await accounts.hash_password(settings, DEMO_PASSWORD))


def main(args: argparse.Namespace, *, export_gatherer: Any = None) -> None:
    if args.roster:
        from app.bench.roster import print_roster, run_roster

        print_roster(asyncio.run(run_roster(*urls())))
        return
    if getattr(args, "access_log", False):
        from app.bench.accesslog import main_alone

        main_alone(args.requests)
        return
    if getattr(args, "export", False):
        from app.bench.export import print_export, run_export_bench

        print_export(asyncio.run(run_export_bench(export_gatherer, args.export_photos)))
        return
    if args.http or args.rls or args.push:
        asyncio.run(_standalone(args))
        return
    results = asyncio.run(run(args.requests))
    print_table(results)
    sent = {r["operation"]: r["sent"] for r in results if r.get("sent")}
    asyncio.run(_after_table(args, sent))
    if export_gatherer is not None and not getattr(args, "no_export", False):
        from app.bench.export import print_export, run_export_bench

        print()
        print_export(asyncio.run(run_export_bench(export_gatherer, args.export_photos)))


def print_table(results: list[dict[str, Any]]) -> None:
    children = INSTITUTIONS * GROUPS_PER_INSTITUTION * CHILDREN_PER_GROUP
    print(
        f"{INSTITUTIONS} institutions, {children} children, {children * 2} guardians (PostgreSQL)"
    )
    print(
        "statements, round trips (Sync/Query at the wire) and transactions (BEGIN) per request:"
        " the most any of the counted requests needed"
    )
    header = (
        "operation",
        "stmts",
        "trips",
        "txns",
        "median ms",
        "p99 ms",
        "p99/med",
        "raw SQL ms",
        "ratio",
        "own SQL ms",
        "vs own",
    )
    print("{:<16}{:>6}{:>6}{:>6}{:>11}{:>9}{:>9}{:>12}{:>7}{:>12}{:>8}".format(*header))
    for r in results:
        own = r.get("own_sql_ms")
        print(
            f"{r['operation']:<16}{r['statements']:>6}{r['round_trips']:>6}{r['transactions']:>6}"
            f"{r['median_ms']:>11.2f}{r['p99_ms']:>9.2f}{r['p99_ratio']:>9.1f}"
            f"{r['raw_sql_median_ms']:>12.2f}{r['ratio']:>7.1f}"
            + ("" if own is None else f"{own:>12.2f}{r['own_ratio']:>8.1f}")
        )
    print(
        "own SQL: the statements one request ran (sign-in, answer, its access-log rows) replayed"
        " as sent, as the application role, in a transaction rolled back; vs own = median / it"
    )
