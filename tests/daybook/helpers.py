"""Shared lookups and times for the daily log tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.helpers import SOLSIKKEN_ADMIN, overview

CPH = ZoneInfo("Europe/Copenhagen")
PERNILLE = "pernille@solsikken.example"  # Bjørnene
KARSTEN = "karsten@solsikken.example"  # Myrerne: staff of another group
METTE = "mette@example.com"
JONAS = "jonas@example.com"  # information only
LIVA = "Liva Holm-Jensen"


def yesterday() -> date:
    return datetime.now(CPH).date() - timedelta(days=1)


def at(hour: int, minute: int = 0, day: date | None = None) -> str:
    d = day or yesterday()
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=CPH).isoformat()


async def solsikken(client) -> dict[str, Any]:
    """Bjørnene's children by name, Liva, another family's guardian, a Myrerne child."""
    node = await overview(client, SOLSIKKEN_ADMIN)
    children = [e["node"] for e in node["children"]["edges"]]
    bears = {c["name"]: c for c in children if c["group"]["name"] == "Bjørnene"}
    other = next(c for name, c in bears.items() if name != LIVA)
    return {
        "group": next(g["id"] for g in node["groups"] if g["name"] == "Bjørnene"),
        "bears": bears,
        "liva": bears[LIVA]["id"],
        "other_child": other["id"],
        "other_guardian": other["guardians"][0]["email"],
        "ant": next(c["id"] for c in children if c["group"]["name"] == "Myrerne"),
        "staff": {s["email"]: s["id"] for s in node["staff"]},
    }


async def record(client, child: str, details: dict[str, Any], *, as_: str = PERNILLE, **extra):
    data = await client.gql(
        "RecordDayEntry",
        {
            "input": {
                "childId": child,
                "day": extra.pop("day", yesterday()).isoformat(),
                "at": extra.pop("at", at(11, 30)),
                "details": details,
                **extra,
            }
        },
        as_=as_,
    )
    result: dict[str, Any] = data["recordDayEntry"]
    return result


async def day_of(client, child: str, *, as_: str, day: date | None = None, **extra):
    variables = {"child": child, "date": (day or yesterday()).isoformat(), **extra}
    data = await client.gql("ChildDay", variables, as_=as_)
    return data["childDay"]
