"""Shared steps of the group-day and child-plan tests at a fixed time (the plan clock:
Monday 7 January 2030, Copenhagen): local times, the group's day by child, the Bjørnene
children with a custody guardian each."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.attendance.plan_helpers import MONDAY, PERNILLE, day
from tests.helpers import SOLSIKKEN_ADMIN, overview

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def local(hour: int, minute: int = 0, offset_days: int = 0) -> str:
    """A moment of the plan clock's week, as a tablet sends it."""
    moment = datetime.combine(MONDAY + timedelta(days=offset_days), time(hour, minute), COPENHAGEN)
    return moment.isoformat()


async def group_day(
    client: Any, group: str, offset_days: int = 0, as_: str = PERNILLE
) -> dict[str, dict[str, Any]]:
    """The group's day, each child's row by the child's ID."""
    data = await client.gql("GroupDay", {"groupId": group, "day": day(offset_days)}, as_=as_)
    return {row["child"]["id"]: row for row in data["groupDay"]["children"]}


async def bears(client: Any) -> list[dict[str, Any]]:
    """Bjørnene's children (id, name, guardians), Liva first."""
    node = await overview(client, SOLSIKKEN_ADMIN)
    children = [
        e["node"] for e in node["children"]["edges"] if e["node"]["group"]["name"] == "Bjørnene"
    ]
    return sorted(children, key=lambda c: c["name"] != "Liva Holm-Jensen")


def custody_guardian(child: dict[str, Any]) -> dict[str, Any]:
    guardian: dict[str, Any] = next(g for g in child["guardians"] if g["hasCustody"])
    return guardian
