"""The volume `make bench` (app/bench/run.py) measures against: a fresh PostgreSQL database, then
20 institutions of 4 groups of 25 children, two guardians each, and each child's day so far,
bulk-inserted as the owner."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from app.accounts.models import User
from app.daybook.models import DayEntry
from app.db import create_engine, new_id, utcnow
from app.institutions.models import (
    AdminMembership,
    Child,
    Group,
    GuardianLink,
    Institution,
    Municipality,
)
from app.ops.demo import FIRST_NAMES, LAST_NAMES, PARENT_FIRST_NAMES

INSTITUTIONS = 20
GROUPS_PER_INSTITUTION = 4
CHILDREN_PER_GROUP = 25  # 20 x 4 x 25 = 2,000 children, two guardians each: 4,000 guardians
ENTRIES_PER_CHILD = 10


async def recreate_database(owner_url: str) -> None:
    url = make_url(owner_url)
    admin = create_engine(url.set(database="postgres").render_as_string(hide_password=False))
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    await admin.dispose()


async def seed(owner_url: str, password_hash: str) -> dict[str, Any]:
    """Bulk rows as the owner: volume for measuring, not a path users take."""
    engine = create_engine(owner_url)
    async with engine.begin() as connection:
        data = await insert_volume(connection, password_hash)
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return data


async def insert_volume(
    connection: Any,
    password_hash: str,
    *,
    institutions: int = INSTITUTIONS,
    groups_per_institution: int = GROUPS_PER_INSTITUTION,
    children_per_group: int = CHILDREN_PER_GROUP,
    prefix: str = "",
) -> dict[str, Any]:
    """The volume on an open connection (the owner's, RLS aside): also what the PostgreSQL
    plan tests (tests/security/test_rls_plans.py) fill their rolled-back transaction with."""
    rng = random.Random(7)
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
    for i in range(institutions):
        iid = new_id()
        rows["i"].append(
            {
                "id": iid,
                "municipality_id": municipality["id"],
                "name": f"Institution {i}",
                "kind": "børnehave",
                "timezone": "Europe/Copenhagen",
                "opening_hours": hours,
                # The bench's admins sign in with a password alone, like the demo's; the
                # login with a second factor is measured on its own (bench/second_factor.py).
                "settings": {"require_second_factor_for_admins": False},
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
        )
        admin_id = new_id()
        rows["u"].append(
            _user(admin_id, f"Admin {i}", f"{prefix}admin{i}@bench.example", password_hash, now)
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
        for g in range(groups_per_institution):
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
            for c in range(children_per_group):
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
                    email = f"{prefix}g{i}-{g}-{c}-{p}@bench.example"
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
    await seed_day_entries(connection, rows["c"], rows["a"], today)
    return {
        "guardians": guardians,
        "children": [r["id"] for r in rows["c"]],
        "child_of": child_of,
        "links": {r["child_id"]: r["id"] for r in rows["l"]},
        "admins": institutions,
        "institutions": [r["id"] for r in rows["i"]],
    }


async def seed_day_entries(
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
