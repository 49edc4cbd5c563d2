"""`make bench`: a realistic volume in PostgreSQL, then per operation the SQL statements per
request, median and p99 latency, and the ratio to the raw SQL that fetches the same data.
The volume is seeded in bench_seed.py, measured with bench_measure.py; the operations of
presence, announcements, the gallery and messaging are in bench_<domain>.py."""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.accounts.service import auth as accounts
from app.bench.announcements import run_announcements
from app.bench.measure import Meter, measure
from app.bench.messaging import run_messaging
from app.bench.presence import run_presence
from app.bench.seed import (
    CHILDREN_PER_GROUP,
    ENTRIES_PER_CHILD,
    GROUPS_PER_INSTITUTION,
    INSTITUTIONS,
    recreate_database,
    seed,
)
from app.config import Settings
from app.core.runtime import Runtime
from app.db import create_engine, session_factory
from app.ops.demo import DEMO_PASSWORD
from app.ops.migrate import migrate
from app.realtime import InProcessBroker
from app.server import create_app
from app.storage import LocalStorage

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/seddel_bench"


async def run(requests: int) -> list[dict[str, Any]]:
    owner_url = os.environ.get("SEDDEL_BENCH_DATABASE_URL", DEFAULT_URL)
    app_url = make_url(owner_url).set(username="seddel_app").render_as_string(hide_password=False)
    settings = Settings(database_url=app_url, migration_database_url=owner_url, log_json=True)
    await recreate_database(owner_url)
    await asyncio.to_thread(migrate, settings)
    owner = create_engine(owner_url)
    async with owner.begin() as connection:
        await connection.execute(text("ALTER ROLE seddel_app LOGIN"))
    password_hash = await accounts.hash_password(settings, DEMO_PASSWORD)
    data = await seed(owner_url, password_hash)
    engine = create_engine(app_url)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        storage=LocalStorage(settings.media_root, settings.secret_key, settings.public_url),
        broker=InProcessBroker(),
    )
    meter = Meter(engine)
    import logging

    logging.disable(logging.INFO)
    app: Any = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
    results = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        guardians = data["guardians"]
        tokens: list[str] = []
        token_emails: list[str] = []

        async def post(
            operation: str, variables: dict[str, Any], token: str | None = None
        ) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = await http.post(
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

        results.append(await measure("me", requests, me, meter, me_floor))
        admin = await post("Login", {"email": "admin0@bench.example", "password": DEMO_PASSWORD})
        admin_token = admin["data"]["login"]["token"]
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

        results.append(await measure("childDay", requests, child_day, meter, child_day_floor))
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
    await engine.dispose()
    await owner.dispose()
    return results


def main(args: argparse.Namespace) -> None:
    results = asyncio.run(run(args.requests))
    children = INSTITUTIONS * GROUPS_PER_INSTITUTION * CHILDREN_PER_GROUP
    print(
        f"{INSTITUTIONS} institutions, {children} children, {children * 2} guardians (PostgreSQL)"
    )
    header = ("operation", "statements", "median ms", "p99 ms", "raw SQL ms", "ratio")
    print("{:<16}{:>11}{:>11}{:>9}{:>12}{:>7}".format(*header))
    for r in results:
        print(
            f"{r['operation']:<16}{r['statements']:>11}{r['median_ms']:>11.2f}{r['p99_ms']:>9.2f}"
            f"{r['raw_sql_median_ms']:>12.2f}{r['ratio']:>7.1f}"
        )
