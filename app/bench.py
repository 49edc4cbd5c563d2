"""`make bench`: a realistic volume in PostgreSQL, then per operation the SQL statements per
request, median and p99 latency, and the ratio to the raw SQL that fetches the same data."""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import event, insert, text
from sqlalchemy.engine import make_url

from app.accounts import service as accounts
from app.accounts.models import User
from app.config import Settings
from app.daybook.models import DayEntry
from app.db import create_engine, new_id, session_factory, utcnow
from app.demo import DEMO_PASSWORD, FIRST_NAMES, LAST_NAMES, PARENT_FIRST_NAMES
from app.institutions.models import (
    AdminMembership,
    Child,
    Group,
    GuardianLink,
    Institution,
    Municipality,
)
from app.migrate import migrate
from app.realtime import InProcessBroker
from app.runtime import Runtime
from app.server import create_app
from app.storage import LocalStorage

INSTITUTIONS = 20
GROUPS_PER_INSTITUTION = 4
CHILDREN_PER_GROUP = 25  # 20 x 4 x 25 = 2,000 children, two guardians each: 4,000 guardians
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/seddel_bench"


async def _recreate_database(owner_url: str) -> None:
    url = make_url(owner_url)
    admin = create_engine(url.set(database="postgres").render_as_string(hide_password=False))
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    await admin.dispose()


async def _seed(owner_url: str, password_hash: str) -> dict[str, Any]:
    """Bulk rows as the owner: volume for measuring, not a path users take."""
    rng = random.Random(7)
    engine = create_engine(owner_url)
    today = date.today()
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ("i", "g", "c", "u", "l", "a")}
    municipality = {
        "id": new_id(),
        "name": "Bench Kommune",
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    hours = {d: ["06:30", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    now = utcnow()
    guardians: list[str] = []
    child_of: dict[str, uuid.UUID] = {}
    for i in range(INSTITUTIONS):
        iid = new_id()
        rows["i"].append(
            {
                "id": iid,
                "municipality_id": municipality["id"],
                "name": f"Institution {i}",
                "kind": "børnehave",
                "timezone": "Europe/Copenhagen",
                "opening_hours": hours,
                "settings": {},
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
        )
        admin_id = new_id()
        rows["u"].append(
            _user(admin_id, f"Admin {i}", f"admin{i}@bench.example", password_hash, now)
        )
        rows["a"].append(
            {
                "id": new_id(),
                "institution_id": iid,
                "user_id": admin_id,
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
        )
        for g in range(GROUPS_PER_INSTITUTION):
            gid = new_id()
            rows["g"].append(
                {
                    "id": gid,
                    "institution_id": iid,
                    "name": f"Gruppe {g}",
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            for c in range(CHILDREN_PER_GROUP):
                cid = new_id()
                last = rng.choice(LAST_NAMES)
                rows["c"].append(
                    {
                        "id": cid,
                        "institution_id": iid,
                        "group_id": gid,
                        "first_name": rng.choice(FIRST_NAMES),
                        "last_name": last,
                        "birth_date": today - timedelta(days=rng.randint(400, 2000)),
                        "active_from": today - timedelta(days=100),
                        "active_until": None,
                        "is_protected": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                for p in range(2):
                    uid = new_id()
                    email = f"g{i}-{g}-{c}-{p}@bench.example"
                    guardians.append(email)
                    child_of[email] = cid
                    rows["u"].append(
                        _user(
                            uid,
                            f"{rng.choice(PARENT_FIRST_NAMES)} {last}",
                            email,
                            password_hash,
                            now,
                        )
                    )
                    rows["l"].append(
                        {
                            "id": new_id(),
                            "institution_id": iid,
                            "child_id": cid,
                            "user_id": uid,
                            "relation": "mor" if p == 0 else "far",
                            "has_custody": True,
                            "access": "full",
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
    async with engine.begin() as connection:
        await connection.execute(insert(Municipality), [municipality])
        for model, key in (
            (Institution, "i"),
            (User, "u"),
            (AdminMembership, "a"),
            (Group, "g"),
            (Child, "c"),
            (GuardianLink, "l"),
        ):
            await connection.execute(insert(model), rows[key])
        await _seed_day_entries(connection, rows["c"], rows["a"], today)
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return {
        "guardians": guardians,
        "children": [r["id"] for r in rows["c"]],
        "child_of": child_of,
        "links": {r["child_id"]: r["id"] for r in rows["l"]},
        "admins": INSTITUTIONS,
    }


ENTRIES_PER_CHILD = 10


async def _seed_day_entries(
    connection: Any, children: list[dict[str, Any]], admins: list[dict[str, Any]], today: date
) -> None:
    """Each child's day so far: ten entries of mixed kinds (an incident among them)."""
    by_institution = {a["institution_id"]: a["user_id"] for a in admins}
    zone = ZoneInfo("Europe/Copenhagen")
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("mood", {"mood": "happy"}),
        ("activity", {"description": "Tur i skoven"}),
        ("diaper", {"diaper": "wet"}),
        ("meal", {"meal": "morning_snack", "amount": "some"}),
        ("medication", {"medicine": "Panodil", "dose": "5 ml", "given_by": None}),
        ("meal", {"meal": "lunch", "amount": "well"}),
        ("sleep", {}),
        ("incident", {"description": "Faldt på legepladsen", "first_aid": "Plaster"}),
        ("diaper", {"diaper": "bm"}),
        ("note", {"text": "Husk regntøj"}),
    ]
    rows = []
    now = utcnow()
    for child in children:
        author = by_institution[child["institution_id"]]
        for n, (kind, details) in enumerate(kinds[:ENTRIES_PER_CHILD]):
            at = datetime.combine(today, dt_time(8 + n // 2, 30 * (n % 2)), tzinfo=zone)
            if kind == "medication":
                details = {**details, "given_by": str(author)}
            rows.append(
                {
                    "id": new_id(),
                    "institution_id": child["institution_id"],
                    "child_id": child["id"],
                    "day": today,
                    "kind": kind,
                    "at": at,
                    "ends_at": at + timedelta(minutes=80) if kind == "sleep" else None,
                    "details": details,
                    "note": "",
                    "version": 1,
                    "recorded_by": author,
                    "created_at": now,
                    "updated_at": now,
                    "updated_by": author,
                    "deleted_at": None,
                }
            )
    await connection.execute(insert(DayEntry), rows)


def _user(uid: uuid.UUID, name: str, email: str, password_hash: str, now: Any) -> dict[str, Any]:
    return {
        "id": uid,
        "name": name,
        "email": email,
        "email_key": email,
        "phone": None,
        "preferred_language": "da",
        "password_hash": password_hash,
        "is_active": True,
        "created_at": now,
        "updated_at": now,
    }


class Meter:
    def __init__(self, engine: Any) -> None:
        self.statements = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.statements += 1


async def _measure(
    name: str,
    requests: int,
    call: Callable[[int], Awaitable[None]],
    meter: Meter,
    floor: Callable[[int], Awaitable[None]],
) -> dict[str, Any]:
    for i in range(min(5, requests)):  # warm caches and pools
        await call(i)
    timings, statements = [], []
    for i in range(requests):
        before = meter.statements
        started = time.perf_counter()
        await call(i)
        timings.append(time.perf_counter() - started)
        statements.append(meter.statements - before)
    floor_timings = []
    for i in range(requests):
        started = time.perf_counter()
        await floor(i)
        floor_timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    return {
        "operation": name,
        "statements": max(statements),
        "median_ms": median * 1000,
        "p99_ms": statistics.quantiles(timings, n=100)[98] * 1000,
        "raw_sql_median_ms": statistics.median(floor_timings) * 1000,
        "ratio": median / statistics.median(floor_timings),
    }


async def run(requests: int) -> list[dict[str, Any]]:
    owner_url = os.environ.get("SEDDEL_BENCH_DATABASE_URL", DEFAULT_URL)
    app_url = make_url(owner_url).set(username="seddel_app").render_as_string(hide_password=False)
    settings = Settings(database_url=app_url, migration_database_url=owner_url, log_json=True)
    await _recreate_database(owner_url)
    await asyncio.to_thread(migrate, settings)
    owner = create_engine(owner_url)
    async with owner.begin() as connection:
        await connection.execute(text("ALTER ROLE seddel_app LOGIN"))
    password_hash = await accounts.hash_password(settings, DEMO_PASSWORD)
    data = await _seed(owner_url, password_hash)
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

        results.append(await _measure("login", max(20, requests // 10), login, meter, login_floor))

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

        results.append(await _measure("me", requests, me, meter, me_floor))
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

        results.append(await _measure("node", requests, node, meter, node_floor))

        def my_child(i: int) -> uuid.UUID:
            child: uuid.UUID = data["child_of"][token_emails[i % len(tokens)]]
            return child

        from app.bench_gallery import DAY_PHOTOS, remove_day_photos, seed_day_photos

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

        results.append(await _measure("childDay", requests, child_day, meter, child_day_floor))
        await remove_day_photos(owner, runtime.storage, day_photos)
        results += await _presence(post, owner, meter, data, admin_token, institution_id, tokens)
        results += await _announcements(post, owner, meter, requests, admin_token, institution_id)
        from app.bench_gallery import run_gallery

        results.extend(
            await run_gallery(
                http=http,
                post=post,
                measure=_measure,
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
        results += await _messaging(
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


async def _presence(
    post: Callable[..., Awaitable[dict[str, Any]]],
    owner: Any,
    meter: Meter,
    data: dict[str, Any],
    admin_token: str,
    institution_id: str,
    tokens: list[str],
) -> list[dict[str, Any]]:
    """checkIn and checkOut (each child once: 95 children of the first institution), the
    group's day with 25 children, and the guardian's today."""
    from datetime import UTC, datetime

    from app.api.ids import encode

    results = []
    raw_children = data["children"][: CHILDREN_PER_GROUP * 4]
    children = [encode("Child", cid) for cid in raw_children]
    links = [encode("GuardianLink", data["links"][cid]) for cid in raw_children]
    overview = await post("InstitutionOverview", {"id": institution_id, "first": 1}, admin_token)
    group = overview["data"]["node"]["groups"][0]["id"]
    turn = {"in": 0, "out": 0}
    runs = min(90, CHILDREN_PER_GROUP * 4 - 5)

    def at(minutes: int) -> str:
        return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()

    async def check_in(_: int) -> None:
        child = children[turn["in"] % len(children)]
        turn["in"] += 1
        body = await post(
            "CheckIn",
            {"input": {"eventId": str(uuid.uuid4()), "childId": child, "at": at(30)}},
            admin_token,
        )
        assert body["data"]["checkIn"]["__typename"] == "PresenceChanged", body

    async def check_out(_: int) -> None:
        child, link = children[turn["out"] % len(children)], links[turn["out"] % len(children)]
        turn["out"] += 1
        body = await post(
            "CheckOut",
            {
                "input": {
                    "eventId": str(uuid.uuid4()),
                    "childId": child,
                    "at": at(1),
                    "pickedUpBy": {"guardianLinkId": link},
                }
            },
            admin_token,
        )
        assert body["data"]["checkOut"]["__typename"] == "PresenceChanged", body

    async def write_floor(i: int) -> None:
        async with owner.begin() as c:
            await c.execute(
                text("SELECT id, group_id FROM children WHERE id = :c FOR UPDATE"),
                {"c": raw_children[i % len(raw_children)]},
            )
            await c.execute(
                text(
                    "UPDATE presences SET checkout_estimated = false"
                    " WHERE child_id = :c AND checked_out_at IS NULL"
                ),
                {"c": raw_children[i % len(raw_children)]},
            )

    results.append(await _measure("checkIn", runs, check_in, meter, write_floor))
    results.append(await _measure("checkOut", runs, check_out, meter, write_floor))
    for child in children[:15]:  # the first group: some children back in for today
        await post(
            "CheckIn",
            {"input": {"eventId": str(uuid.uuid4()), "childId": child, "at": at(0)}},
            admin_token,
        )

    async def group_day(_: int) -> None:
        await post("GroupDay", {"groupId": group}, admin_token)

    async def group_day_floor(_: int) -> None:
        async with owner.connect() as c:
            await c.execute(
                text(
                    "SELECT c.*, p.*, a.* FROM children c"
                    " LEFT JOIN presences p ON p.child_id = c.id"
                    " AND p.checked_in_at > now() - interval '1 day'"
                    " LEFT JOIN absences a ON a.child_id = c.id AND a.from_day <= current_date"
                    " AND (a.until_day IS NULL OR a.until_day >= current_date)"
                    " WHERE c.group_id = :g"
                ),
                {"g": raw_group},
            )

    raw_group = await _scalar(
        owner, "SELECT group_id FROM children WHERE id = :c", c=raw_children[0]
    )
    results.append(await _measure("groupDay", 200, group_day, meter, group_day_floor))

    async def today(i: int) -> None:
        await post("MyChildrenToday", {}, tokens[i % len(tokens)])

    async def today_floor(i: int) -> None:
        token_hash = accounts.hash_token(tokens[i % len(tokens)])
        async with owner.connect() as c:
            await c.execute(
                text(
                    "SELECT c.*, p.* FROM sessions s JOIN guardian_links l ON l.user_id = s.user_id"
                    " JOIN children c ON c.id = l.child_id"
                    " LEFT JOIN presences p ON p.child_id = c.id"
                    " AND p.checked_in_at > now() - interval '1 day'"
                    " WHERE s.token_hash = :h"
                ),
                {"h": token_hash},
            )

    results.append(await _measure("guardianToday", 200, today, meter, today_floor))
    return results


async def _messaging(
    post: Callable[..., Awaitable[dict[str, Any]]],
    overview: dict[str, Any],
    institution_id: str,
    admin_token: str,
    owner: Any,
    meter: Meter,
    requests: int,
) -> list[dict[str, Any]]:
    """inbox (20 threads), thread (50 messages), sendMessage into a broadcast to the guardians
    of a group of 25 children (50 guardians), and startThread of such a broadcast."""
    group = overview["groups"][0]
    group_index = int(group["name"].split()[-1])
    guardian_email = f"g0-{group_index}-0-0@bench.example"
    guardian = await post("Login", {"email": guardian_email, "password": DEMO_PASSWORD})
    guardian_token = guardian["data"]["login"]["token"]
    broadcast = {
        "input": {
            "institutionId": institution_id,
            "subject": "Forældremøde",
            "body": "Kære forældre, husk mødet på torsdag kl. 17.",
            "recipients": {"groups": [group["id"]]},
        }
    }
    thread_ids: list[str] = []
    for _ in range(20):
        started = await post("StartThread", broadcast, admin_token)
        thread_ids.append(started["data"]["startThread"]["threads"][0]["id"])
    busy = thread_ids[0]
    for n in range(50):
        await post("SendMessage", {"threadId": busy, "body": f"Besked nummer {n}"}, admin_token)
    results = []
    user_id = await _scalar(owner, "SELECT id FROM users WHERE email_key = :e", e=guardian_email)

    async def inbox(i: int) -> None:
        await post("Inbox", {"first": 20}, guardian_token)

    async def inbox_floor(i: int) -> None:
        async with owner.connect() as c:
            await c.execute(
                text(
                    "SELECT t.*, m.body, u.name FROM message_threads t"
                    " JOIN message_participants p ON p.thread_id = t.id AND p.user_id = :u"
                    " LEFT JOIN messages m ON m.id = t.last_message_id"
                    " LEFT JOIN users u ON u.id = m.sender_id"
                    " ORDER BY t.last_message_at DESC, t.id DESC LIMIT 20"
                ),
                {"u": user_id},
            )

    results.append(await _measure("inbox", requests, inbox, meter, inbox_floor))
    busy_id = uuid.UUID(_node_id(busy))

    async def thread(i: int) -> None:
        await post("ThreadMessagesPage", {"id": busy, "first": 50}, guardian_token)

    async def thread_floor(i: int) -> None:
        async with owner.connect() as c:
            await c.execute(
                text(
                    "SELECT m.*, u.name FROM messages m JOIN users u ON u.id = m.sender_id"
                    " WHERE m.thread_id = :t ORDER BY m.id DESC LIMIT 50"
                ),
                {"t": busy_id},
            )

    results.append(await _measure("thread", requests, thread, meter, thread_floor))

    async def send(i: int) -> None:
        await post(
            "SendMessage", {"threadId": thread_ids[i % 20], "body": f"Svar {i}"}, admin_token
        )

    async def send_floor(i: int) -> None:
        async with owner.begin() as c:
            await c.execute(
                text(
                    "INSERT INTO messages (id, institution_id, thread_id, sender_id, sender_role,"
                    " sent_as_institution, body, is_auto_reply, created_at)"
                    " SELECT :id, institution_id, id, :u, 'admin', false, 'x', false, now()"
                    " FROM message_threads WHERE id = :t"
                ),
                {"id": new_id(), "u": user_id, "t": busy_id},
            )
            await c.execute(
                text("UPDATE message_threads SET last_message_at = now() WHERE id = :t"),
                {"t": busy_id},
            )

    results.append(await _measure("sendMessage", requests, send, meter, send_floor))

    async def start(i: int) -> None:
        await post("StartThread", broadcast, admin_token)

    results.append(await _measure("startThread", max(20, requests // 5), start, meter, send_floor))
    return results


def _node_id(global_id: str) -> str:
    import base64

    padded = global_id + "=" * (-len(global_id) % 4)
    return base64.b64decode(padded).decode().split(":", 1)[1]


async def _scalar(engine: Any, sql: str, **params: Any) -> Any:
    async with engine.connect() as c:
        return (await c.execute(text(sql), params)).scalar()


async def _announcements(
    post: Any, owner: Any, meter: Meter, requests: int, admin_token: str, institution_id: str
) -> list[dict[str, Any]]:
    """An institution's admin posts 30 announcements to all its 100 children (about 200
    guardians each); a guardian pages their announcements; staff open the per-child overview."""
    for n in range(30):
        body = await post(
            "PostAnnouncement",
            {
                "input": {
                    "institutionId": institution_id,
                    "title": f"Opslag {n}",
                    "body": "Husk madpakke.",
                    "requiresConfirmation": True,
                }
            },
            admin_token,
        )
        announcement_id = body["data"]["postAnnouncement"]["id"]
    async with owner.connect() as c:
        email = await c.scalar(
            text(
                "SELECT u.email_key FROM announcement_receipts r JOIN users u ON u.id = r.user_id"
                " LIMIT 1"
            )
        )
    guardian = await post("Login", {"email": email, "password": DEMO_PASSWORD})
    token = guardian["data"]["login"]["token"]

    async def listing(i: int) -> None:
        await post("Announcements", {"first": 20}, token)

    async def listing_floor(i: int) -> None:
        async with owner.connect() as c:
            await c.execute(
                text(
                    "SELECT a.*, r.* FROM announcement_receipts r"
                    " JOIN announcements a ON a.id = r.announcement_id"
                    " WHERE r.user_id = (SELECT id FROM users WHERE email_key = :e)"
                    " ORDER BY a.created_at DESC, a.id DESC LIMIT 21"
                ),
                {"e": email},
            )

    async def overview(i: int) -> None:
        await post("AnnouncementConfirmations", {"id": announcement_id}, admin_token)

    async def overview_floor(i: int) -> None:
        async with owner.connect() as c:
            await c.execute(
                text(
                    "SELECT c.id, c.first_name, r.user_id, u.name, r.confirmed_at"
                    " FROM announcement_children ac JOIN children c ON c.id = ac.child_id"
                    " LEFT JOIN guardian_links l ON l.child_id = c.id"
                    " LEFT JOIN announcement_receipts r ON r.announcement_id = ac.announcement_id"
                    "  AND r.user_id = l.user_id LEFT JOIN users u ON u.id = r.user_id"
                    " WHERE ac.announcement_id = (SELECT id FROM announcements"
                    "  ORDER BY created_at DESC LIMIT 1)"
                )
            )

    return [
        await _measure("announcements", requests, listing, meter, listing_floor),
        await _measure("confirmations", requests, overview, meter, overview_floor),
    ]


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
