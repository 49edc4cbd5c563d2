"""Shared set-up of the pickup plan and vacation survey tests: a fixed clock and the demo's
people (Liva in Bjørnene, Solsikken: open Mon-Thu 06:30-17:00, Fri 06:30-16:00)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.attendance.service import clock
from tests.helpers import SOLSIKKEN_ADMIN, overview

METTE = "mette@example.com"
JONAS = "jonas@example.com"
PERNILLE = "pernille@solsikken.example"
REGNBUEN_ADMIN = "admin@regnbuen.example"
LARS = "lars@regnbuen.example"
MONDAY = date(2030, 1, 7)  # Copenhagen is UTC+1 in January


def day(offset: int) -> str:
    return (MONDAY + timedelta(days=offset)).isoformat()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # Monday 09:00 in Copenhagen

    def at_local(self, hour: int, minute: int = 0, offset_days: int = 0) -> None:
        self.now = datetime(2030, 1, 7, hour - 1, minute, tzinfo=UTC) + timedelta(days=offset_days)


def freeze(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The attendance clock fixed at Monday 7 January 2030, 09:00 in Copenhagen."""
    fixed = Clock()
    monkeypatch.setattr(clock, "now", lambda: fixed.now)
    return fixed


def raw_uuid(global_id: str) -> uuid.UUID:
    return uuid.UUID(base64.b64decode(global_id).decode().split(":", 1)[1])


async def family(client: Any) -> dict[str, Any]:
    """Liva, another Bjørnene child and its first guardian, the protected child, Oscar."""
    node = await overview(client, SOLSIKKEN_ADMIN)
    edges = [e["node"] for e in node["children"]["edges"]]
    liva = next(c for c in edges if c["name"] == "Liva Holm-Jensen")
    bears = [c for c in edges if c["group"]["name"] == "Bjørnene" and c["id"] != liva["id"]]
    nodes = await client.gql("Nodes", {"ids": [c["id"] for c in bears]}, as_=SOLSIKKEN_ADMIN)
    protected_ids = {n["id"] for n in nodes["nodes"] if n["isProtected"]}
    friend = next(c for c in bears if c["id"] not in protected_ids)
    protected = next(c for c in bears if c["id"] in protected_ids)
    me = (await client.gql("Me", as_=METTE))["me"]
    return {
        "institution": node["id"],
        "liva": liva["id"],
        "friend": friend["id"],
        "friend_parent": friend["guardians"][0]["email"],
        "protected": protected["id"],
        "bears": [c["id"] for c in edges if c["group"]["name"] == "Bjørnene"],
        "bears_group": next(g["id"] for g in node["groups"] if g["name"] == "Bjørnene"),
        "liva_links": {g["email"]: g["id"] for g in liva["guardians"]},
        "me": me,
    }


async def add_pickup_person(client: Any, child: str, name: str = "Inge Holm", **extra: Any) -> str:
    made = await client.gql(
        "AddPickupPerson",
        {"childId": child, "input": {"name": name, "relation": "mormor", **extra}},
        as_=METTE,
    )
    person: str = made["addPickupPerson"]["id"]
    return person


async def set_plan(client: Any, child: str, as_: str = METTE, **input_: Any) -> dict[str, Any]:
    data = await client.gql("SetPickupPlan", {"childId": child, "input": input_}, as_=as_)
    result: dict[str, Any] = data["setPickupPlan"]
    return result


async def plan(
    client: Any, child: str, start: str, end: str, as_: str = METTE
) -> list[dict[str, Any]]:
    data = await client.gql("PickupPlan", {"childId": child, "start": start, "end": end}, as_=as_)
    days: list[dict[str, Any]] = data["pickupPlan"]
    return days
