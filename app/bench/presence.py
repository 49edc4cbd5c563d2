"""Presence operations of `make bench` (app/bench/run.py): checkIn and checkOut, the group's
day, and the guardian's today."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from app.accounts.service import auth as accounts
from app.api.ids import encode
from app.bench.measure import Meter, measure, same_answers, scalar
from app.bench.seed import CHILDREN_PER_GROUP

LOCAL = ZoneInfo("Europe/Copenhagen")  # the bench seed's institutions

# The raw SQL floor of the group's day (also measured under RLS, app/bench/rls.py).
GROUP_DAY_SQL = (
    "SELECT c.*, p.*, a.* FROM children c"
    " LEFT JOIN presences p ON p.child_id = c.id"
    " AND p.checked_in_at > now() - interval '1 day'"
    " LEFT JOIN absences a ON a.child_id = c.id AND a.from_day <= current_date"
    " AND (a.until_day IS NULL OR a.until_day >= current_date)"
    " WHERE c.group_id = :g"
)


async def run_presence(
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
    results = []
    raw_children = data["children"][: CHILDREN_PER_GROUP * 4]
    children = [encode("Child", cid) for cid in raw_children]
    links = [encode("GuardianLink", data["links"][cid]) for cid in raw_children]
    overview = await post("InstitutionOverview", {"id": institution_id, "first": 1}, admin_token)
    group = overview["data"]["node"]["groups"][0]["id"]
    turn = {"in": 0, "out": 0}
    # Every request checks a child in (out) once: counting, warming and timing all included.
    runs = min(85, CHILDREN_PER_GROUP * 4 - 15)

    def at(minutes: int) -> str:
        """So many minutes ago, but never before today began in Copenhagen: a check-in and its
        check-out on the same local day however close to midnight the bench runs."""
        now = datetime.now(UTC)
        midnight = datetime.combine(now.astimezone(LOCAL).date(), time(), LOCAL)
        return max(now - timedelta(minutes=minutes), midnight + (now - midnight) / 2).isoformat()

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

    results.append(await measure("checkIn", runs, check_in, meter, write_floor))
    results.append(await measure("checkOut", runs, check_out, meter, write_floor))
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
                text(GROUP_DAY_SQL),
                {"g": raw_group},
            )

    raw_group = await scalar(
        owner, "SELECT group_id FROM children WHERE id = :c", c=raw_children[0]
    )
    await same_answers(post, "GroupDay", {"groupId": group}, admin_token)
    results.append(await measure("groupDay", 200, group_day, meter, group_day_floor, own_sql=True))

    async def group_day_resolvers(_: int) -> None:
        await post("GroupDay", {"groupId": group}, admin_token, compiled=False)

    results.append(
        await measure("groupDay resolvers", 200, group_day_resolvers, meter, group_day_floor)
    )

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

    results.append(await measure("guardianToday", 200, today, meter, today_floor))
    return results
