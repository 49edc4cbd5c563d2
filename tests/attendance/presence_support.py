"""Shared steps of the presence tests: staff, a paired tablet, a kiosk, event IDs and times."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.attendance.service import clock
from tests.client import GraphQLClient
from tests.helpers import SOLSIKKEN_ADMIN, institution_id, overview

STAFF = "pernille@solsikken.example"
MOTHER = "mette@example.com"
FATHER = "jonas@example.com"  # no custody, information access


def now() -> datetime:
    """The attendance clock: real time, unless a test fixed it (plan_clock)."""
    return clock.now()


def ago(minutes: float) -> str:
    return (now() - timedelta(minutes=minutes)).isoformat()


def new_event() -> str:
    return str(uuid.uuid4())


async def liva(client: GraphQLClient) -> dict[str, Any]:
    node = await overview(client, SOLSIKKEN_ADMIN)
    child: dict[str, Any] = next(
        e["node"] for e in node["children"]["edges"] if e["node"]["name"] == "Liva Holm-Jensen"
    )
    return child


async def other_child(client: GraphQLClient, group: str = "Bjørnene") -> dict[str, Any]:
    node = await overview(client, SOLSIKKEN_ADMIN)
    child: dict[str, Any] = next(
        e["node"]
        for e in node["children"]["edges"]
        if e["node"]["group"]["name"] == group and e["node"]["name"] != "Liva Holm-Jensen"
    )
    return child


def guardian_link(child: dict[str, Any], email: str = MOTHER) -> str:
    link: str = next(g["id"] for g in child["guardians"] if g["email"] == email)
    return link


async def check_in(
    client: GraphQLClient,
    child_id: str,
    *,
    at: str | None = None,
    event: str | None = None,
    as_: str = STAFF,
    token: str | None = None,
) -> dict[str, Any]:
    variables = {
        "input": {"eventId": event or new_event(), "childId": child_id, "at": at or ago(1)}
    }
    if token is not None:
        return (await client.gql("CheckIn", variables, token=token))["checkIn"]
    return (await client.gql("CheckIn", variables, as_=as_))["checkIn"]


async def check_out(
    client: GraphQLClient,
    child_id: str,
    *,
    picked_up_by: dict[str, Any],
    at: str | None = None,
    event: str | None = None,
    reason: str | None = None,
    as_: str = STAFF,
    token: str | None = None,
) -> dict[str, Any]:
    variables = {
        "input": {
            "eventId": event or new_event(),
            "childId": child_id,
            "at": at or ago(0.5),
            "pickedUpBy": picked_up_by,
            "overrideReason": reason,
        }
    }
    if token is not None:
        return (await client.gql("CheckOut", variables, token=token))["checkOut"]
    return (await client.gql("CheckOut", variables, as_=as_))["checkOut"]


async def pair(client: GraphQLClient, role: str, label: str = "Tablet") -> dict[str, Any]:
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    result: dict[str, Any] = (
        await client.gql(
            "PairDevice", {"institutionId": iid, "role": role, "label": label}, as_=SOLSIKKEN_ADMIN
        )
    )["pairDevice"]
    assert result["__typename"] == "DevicePaired", result
    return result


async def set_pin(client: GraphQLClient, email: str, pin: str) -> None:
    result = (await client.gql("SetPersonalPin", {"pin": pin}, as_=email))["setPersonalPin"]
    assert result["__typename"] == "PinSet", result


async def switch_in(
    client: GraphQLClient, device_token: str, name: str, pin: str
) -> dict[str, Any]:
    staff = (await client.gql("TabletStaff", token=device_token))["tabletStaff"]
    staff_id = next(s["staffId"] for s in staff if s["name"] == name)
    result: dict[str, Any] = (
        await client.gql("SwitchTabletUser", {"staffId": staff_id, "pin": pin}, token=device_token)
    )["switchTabletUser"]
    return result


@asynccontextmanager
async def admin_session(runtime: Any) -> AsyncIterator[Any]:
    """A session scoped like Solsikken's admin (row-level security on PostgreSQL)."""
    from app.accounts.models import User
    from app.institutions.service import actor as institutions

    async with runtime.sessions() as db:
        admin = await db.scalar(select(User).where(User.email_key == SOLSIKKEN_ADMIN))
        await institutions.load_actor(db=db, user=admin, session=None)
        yield db
        await db.commit()
