"""The day views answer byte for byte as they did before their read models: GroupDay,
MyChildrenToday, ChildDay (and ChildDays) and node(id:) of the stays, entries and photos
they show, for every demo login, on a day with stays, a pickup, an absence, plans, entries
of every kind, an incident and photos under consent. The answers were captured from the
ORM path (tests/api/snapshots/day_views.json, the same on both databases); what differs from run to run is
masked: every ID becomes the order in which it first appears, datetimes and signed links
keep only their shape, and the real dates become their names.

Regenerate (only when an answer is meant to change): SEDDEL_UPDATE_SNAPSHOTS=1."""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.attendance.day_view_helpers import local
from tests.attendance.plan_helpers import (
    JONAS,
    METTE,
    PERNILLE,
    add_pickup_person,
    day,
    family,
    set_plan,
)
from tests.attendance.presence_support import check_in, check_out
from tests.daybook.helpers import at, record
from tests.gallery.common import add_photo, set_consent, solsikken
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, overview

LOGINS = (
    SOLSIKKEN_ADMIN,
    PERNILLE,
    REGNBUEN_ADMIN,
    "lars@regnbuen.example",
    METTE,
    JONAS,
)
SNAPSHOTS = Path(__file__).parent / "snapshots"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?$")
GLOBAL_ID = re.compile(r"^[A-Za-z0-9+/]+=*$")


class Masker:
    """Replaces what differs between runs with what does not."""

    def __init__(self, dates: dict[str, str]) -> None:
        self.ids: dict[str, str] = {}
        self.dates = dates

    def label(self, raw: str) -> str:
        return self.ids.setdefault(raw, f"#{len(self.ids) + 1}")

    def text(self, value: str) -> str:
        if DATETIME.match(value):
            return re.sub(r"\d", "d", value)
        if value in self.dates:
            return self.dates[value]
        if GLOBAL_ID.match(value) and len(value) >= 40:
            try:
                decoded = base64.b64decode(value).decode()
                type_name, raw = decoded.split(":", 1)
                uuid.UUID(raw)
            except (ValueError, UnicodeDecodeError):
                pass
            else:
                return f"{type_name}:{self.label(raw)}"
        if value.startswith("http"):
            path, _, query = value.partition("?")
            return UUID.sub(lambda m: self.label(m.group(0)), path) + (
                "?" + re.sub(r"=[^&]*", "=…", query) if query else ""
            )
        return UUID.sub(lambda m: self.label(m.group(0)), value)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value


async def _scenario(client: Any, plan_clock: Any) -> dict[str, Any]:
    """A Monday (the plan clock's, 09:00 → 10:30) in Bjørnene, and yesterday's log."""
    f = await family(client)
    node = await solsikken(client)
    bears = [c for c in f["bears"] if c not in (f["liva"], f["friend"], f["protected"])]
    inge = await add_pickup_person(client, f["liva"])
    await set_plan(
        client, f["liva"], day=day(0), leaveMode="PICKUP_PERSON", pickupPersonId=inge,
        arrival="08:00", pickup="15:00", note="Mormor henter",
    )  # fmt: skip
    await set_plan(
        client, f["friend"], as_=PERNILLE, day=day(0), leaveMode="GUARDIAN",
        arrival="10:00", pickup="11:00",
    )  # fmt: skip
    plan_clock.at_local(9, 10)
    assert (await check_in(client, f["liva"], at=local(9, 5)))["__typename"] == "PresenceChanged"
    assert (await check_in(client, bears[0], at=local(8, 0)))["__typename"] == "PresenceChanged"
    gone = await check_out(
        client, bears[0], at=local(9, 0), picked_up_by={"otherName": "Nabo"}, reason="Aftalt"
    )
    assert gone["__typename"] == "PresenceChanged", gone
    assert (await check_in(client, bears[0], at=local(9, 8)))["__typename"] == "PresenceChanged"
    sick = await client.gql(
        "RegisterAbsence",
        {"childId": bears[1], "kind": "SICK", "fromDay": day(0), "note": "Feber"},
        as_=PERNILLE,
    )
    assert sick["registerAbsence"]["__typename"] == "Absence", sick
    plan_clock.at_local(10, 30)

    staff = {s["email"]: s["id"] for s in node["staff"]}
    entries = [
        await record(client, f["liva"], {"meal": {"meal": "LUNCH", "amount": "SOME"}}),
        await record(
            client, f["liva"], {"sleep": {"endsAt": at(13, 5)}}, at=at(12, 0), note="Sov godt"
        ),
        await record(client, f["liva"], {"diaper": {"diaper": "WET"}}, at=at(13, 10)),
        await record(
            client,
            f["liva"],
            {"medication": {"medicine": "Panodil", "dose": "5 ml", "givenBy": staff[PERNILLE]}},
            at=at(9, 0),
        ),
        await record(
            client,
            f["liva"],
            {"incident": {"description": "Faldt på legepladsen", "firstAid": "Plaster"}},
            at=at(10, 15),
        ),
        await record(client, f["liva"], {"activity": {"description": "Maling"}}, at=at(10, 0)),
        await record(client, f["liva"], {"mood": {"mood": "HAPPY"}}, at=at(8, 0)),
        await record(client, f["liva"], {"note": {"text": "Husk tøj"}}, at=at(15, 0)),
        await record(client, f["friend"], {"mood": {"mood": "TIRED"}}, at=at(8, 30)),
    ]
    assert all(e["__typename"] == "DayEntry" for e in entries), entries
    confirmed = await client.gql("ConfirmIncident", {"entryId": entries[4]["id"]}, as_=METTE)
    assert confirmed["confirmIncident"]["__typename"] == "DayEntry", confirmed
    corrected = await client.gql(
        "CorrectDayEntry",
        {
            "input": {
                "entryId": entries[2]["id"],
                "at": at(13, 12),
                "details": {"diaper": {"diaper": "BM"}},
                "note": "Skiftet",
            }
        },
        as_=PERNILLE,
    )
    assert corrected["correctDayEntry"]["__typename"] == "DayEntry", corrected
    deleted = await client.gql("DeleteDayEntry", {"entryId": entries[7]["id"]}, as_=PERNILLE)
    assert deleted["deleteDayEntry"]["__typename"] == "DayEntry", deleted

    yesterday = datetime.now(ZoneInfo("Europe/Copenhagen")).date() - timedelta(days=1)
    photos = []
    for children, caption in (
        ([f["liva"]], "Liva alene"),
        ([f["liva"], f["friend"]], "Liva og en ven"),
        ([f["friend"]], "Vennen"),
        ([f["liva"], f["protected"]], "Med det beskyttede barn"),
    ):
        added = await add_photo(
            client, node, children, takenOn=yesterday.isoformat(), caption=caption
        )
        assert added["__typename"] == "Photo", added
        photos.append(added["id"])
    for guardian in (await overview(client, SOLSIKKEN_ADMIN, first=40))["children"]["edges"]:
        if guardian["node"]["id"] == f["friend"]:
            for link in guardian["node"]["guardians"]:
                if link["hasCustody"]:
                    await set_consent(client, link["email"], f["friend"], "GROUP")
    return {
        "family": f,
        "node": node,
        "entries": [e["id"] for e in entries],
        "photos": photos,
        "yesterday": yesterday,
    }


async def _answers(client: Any, s: dict[str, Any]) -> dict[str, Any]:
    f, node = s["family"], s["node"]
    regnbuen = await overview(client, REGNBUEN_ADMIN, first=40)
    groups = [g["id"] for g in node["groups"]] + [g["id"] for g in regnbuen["groups"]]
    oscar = next(
        e["node"]["id"] for e in regnbuen["children"]["edges"] if "Oscar" in e["node"]["name"]
    )
    children = [f["liva"], f["friend"], f["protected"], oscar]
    yesterday: date = s["yesterday"]
    answers: dict[str, Any] = {}
    for login in LOGINS:
        mine: dict[str, Any] = {}
        for n, gid in enumerate(groups):
            for offset in (0, 1):
                mine[f"GroupDay {n} +{offset}"] = await client.execute(
                    "GroupDay", {"groupId": gid, "day": day(offset)}, as_=login
                )
        mine["MyChildrenToday"] = await client.execute("MyChildrenToday", as_=login)
        presences: list[str] = []
        for row in (mine["MyChildrenToday"].get("data") or {}).get("myChildrenToday") or []:
            presences += [stay["id"] for stay in row["stays"]]
        for key in [k for k in mine if k.startswith("GroupDay")]:
            group_day = (mine[key].get("data") or {}).get("groupDay") or {}
            for row in group_day.get("children", []):
                presences += [stay["id"] for stay in row["stays"]]
        for n, child in enumerate(children):
            for deleted in (False, True):
                mine[f"ChildDay {n} {deleted}"] = await client.execute(
                    "ChildDay",
                    {"child": child, "date": yesterday.isoformat(), "includeDeleted": deleted},
                    as_=login,
                )
            mine[f"ChildDays {n}"] = await client.execute(
                "ChildDays",
                {
                    "child": child,
                    "start": (yesterday - timedelta(days=1)).isoformat(),
                    "end": yesterday.isoformat(),
                },
                as_=login,
            )
        for n, entry in enumerate(s["entries"]):
            mine[f"DayEntry {n}"] = await client.execute(
                "DayEntryHistory", {"id": entry}, as_=login
            )
        for n, photo in enumerate(s["photos"]):
            mine[f"Photo {n}"] = await client.execute("PhotoNode", {"id": photo}, as_=login)
        for n, presence in enumerate(dict.fromkeys(presences)):
            mine[f"Presence {n}"] = await client.execute("Node", {"id": presence}, as_=login)
        answers[login] = mine
    return answers


async def test_the_day_views_answer_as_they_did(client, plan_clock):
    scenario = await _scenario(client, plan_clock)
    answers = await _answers(client, scenario)
    yesterday: date = scenario["yesterday"]
    masked = Masker(
        {
            yesterday.isoformat(): "<yesterday>",
            (yesterday - timedelta(days=1)).isoformat(): "<the day before>",
        }
    )(answers)
    text = json.dumps(masked, ensure_ascii=False, indent=1) + "\n"
    path = SNAPSHOTS / "day_views.json"  # the same on PostgreSQL and SQLite
    if os.environ.get("SEDDEL_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected
