"""The access log beyond Query's fields: every subscription and every REST route.

Both tables are held to what exists: every field of Subscription in the printed schema must
have a case (its event, delivered to a subscriber, leaves exactly the expected rows before it
is sent), and every route of openapi/openapi.json must be a case or say why it returns no
child's data. A new subscription or route fails here until it is logged and has a case."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from app.attendance.presence.service.live import child_channel, group_channel
from app.attendance.service import clock
from app.daybook.service.live import channel as day_channel
from app.messaging.service.live import inbox_channel, thread_channel
from app.privacy.accesslog.models import AccessKind
from tests.attendance.live_support import hold_events, subscribed
from tests.attendance.plan_helpers import METTE, PERNILLE, raw_uuid
from tests.daybook.helpers import record
from tests.helpers import SOLSIKKEN_ADMIN, institution_id
from tests.messaging.util import send
from tests.privacy import test_access_log_fields as query_fields
from tests.privacy.common import LogWatch, child_uuid

K = AccessKind
world = query_fields.world  # the fixture: Liva's data of every kind, and a thread about her
OPENAPI = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"

Fixture = dict[str, Any]
Trigger = Callable[[Any, Fixture], Awaitable[None]]


async def _user_id(runtime: Any, email: str) -> uuid.UUID:
    from sqlalchemy import select

    from app.accounts.models import User

    async with runtime.sessions() as db:
        found = await db.scalar(select(User.id).where(User.email == email))
        await db.rollback()
    assert found is not None
    return found


async def _entry(client: Any, f: Fixture) -> None:
    entry = await record(client, f["liva"], {"note": {"text": "Sov til middag"}})
    assert entry["__typename"] == "DayEntry", entry


async def _message(client: Any, f: Fixture) -> None:
    sent = await send(client, METTE, f["thread"], "Tak for i dag")
    assert sent["__typename"] == "Message", sent


async def _checked_out(client: Any, f: Fixture) -> None:
    out = await client.gql(
        "CheckOut",
        {
            "input": {
                "eventId": str(uuid.uuid4()),
                "childId": f["liva"],
                "at": clock.now().isoformat(),
                "pickedUpBy": {"guardianLinkId": f["liva_links"][METTE]},
            }
        },
        as_=PERNILLE,
    )
    assert "errors" not in out, out


# field -> (trusted subscription, variables, its channel, who listens, what sets off an event,
# the children (and kind) the delivered event leaves rows for)
SUBSCRIPTION_CASES: dict[str, tuple[str, Any, Any, str, Trigger, set[AccessKind]]] = {
    "groupDayChanged": (
        "GroupDayChanged",
        lambda f: {"groupId": f["bears_group"]},
        lambda f, _: group_channel(raw_uuid(f["bears_group"])),
        PERNILLE,
        _checked_out,
        {K.PRESENCE},
    ),
    "childDayChanged": (
        "ChildDayChanged",
        lambda f: {"child": f["liva"]},
        lambda f, _: day_channel(raw_uuid(f["liva"])),
        PERNILLE,
        _entry,
        {K.DAY_ENTRIES},
    ),
    "inboxEvents": (
        "InboxEvents",
        lambda f: {},
        lambda f, user: inbox_channel(user),
        PERNILLE,
        _message,
        {K.MESSAGES},
    ),
    "threadMessages": (
        "ThreadMessages",
        lambda f: {"threadId": f["thread"]},
        lambda f, _: thread_channel(raw_uuid(f["thread"])),
        PERNILLE,
        _message,
        {K.MESSAGES},
    ),
    # Only a guardian's own children: the own guardian leaves no row.
    "myChildPresenceChanged": (
        "MyChildPresenceChanged",
        lambda f: {},
        lambda f, _: child_channel(raw_uuid(f["liva"])),
        METTE,
        _checked_out,
        set(),
    ),
}


def test_every_subscription_has_a_case():
    schema = query_fields._schema()
    assert schema.subscription_type is not None
    fields = set(schema.subscription_type.fields)
    assert fields == set(SUBSCRIPTION_CASES), (
        f"log these subscriptions' events and add a case: {sorted(fields - set(SUBSCRIPTION_CASES))}"
        f"; stale: {sorted(set(SUBSCRIPTION_CASES) - fields)}"
    )


@pytest.mark.parametrize("field", sorted(SUBSCRIPTION_CASES))
async def test_a_delivered_event_leaves_its_rows_before_it_is_sent(client, runtime, world, field):
    operation, variables, channel_of, who, trigger, kinds = SUBSCRIPTION_CASES[field]
    hold_events(runtime)
    channel = channel_of(world, await _user_id(runtime, who))
    async with subscribed(
        runtime, client, operation, variables(world), as_=who, channel=channel
    ) as listener:
        await trigger(client, world)
        async with LogWatch(runtime, client) as watch:
            pushed = await listener.next()
        # The event was delivered (its data) and, by then, its rows were committed.
        assert pushed is not None
    assert {(email, child, kind, role) for email, child, kind, role, _ in watch.rows} == {
        (who, child_uuid(world["liva"]), kind.value, "STAFF") for kind in kinds
    }
    assert {operation_name for *_, operation_name in watch.rows} <= {operation}


# Every route of the REST surface: a case (what it leaves, for staff and the own guardian), or
# why it returns no child's data.
REST_NOT_CHILD_DATA = {
    "GET /auth/oidc/{provider}/start": "signing in with a municipality's identity provider",
    "GET /auth/oidc/{provider}/callback": "signing in with a municipality's identity provider",
    "GET /health/live": "the process is up",
    "GET /health/ready": "the database and storage answer",
    "GET /metrics": "counters, no personal data",
    "POST /uploads": "a write: the uploader's own file",
    "GET /reports/attendance.csv": "counts per group and day (as AttendanceReportRow)",
    # The link is the credential (no session): it was made for one actor by a field that
    # checked visibility, and that field's read is logged (Photo.url under photos, a message's
    # files under messages).
    "GET /files/{key}": "logged where the signed link is made",
    # The admin's own file, planned against the roster and applied (exports are logged below).
    "POST /admin/roster/import": "a write: the admin's own file, planned",
    "POST /admin/roster/import/{import_id}/commit": "a write: the plan applied",
}

# Routes that export many children at once: one row per child the file holds.
REST_BULK_CASES = ("GET /admin/roster/export.csv", "GET /admin/roster/export.xlsx")


@pytest.mark.parametrize("route", REST_BULK_CASES)
async def test_a_roster_export_logs_each_child_it_holds(client, runtime, world, route):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    token = await client.token_for(SOLSIKKEN_ADMIN)
    async with LogWatch(runtime, client) as watch:
        response = await client.http.get(
            route.split(" ")[1],
            params={"institution": iid},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
    csv_rows = (
        (
            await client.http.get(
                "/admin/roster/export.csv",
                params={"institution": iid},
                headers={"Authorization": f"Bearer {token}"},
            )
        )
        .text.strip()
        .splitlines()[1:]
    )
    assert {(email, kind) for email, _, kind, _, _ in watch.rows} == {
        (SOLSIKKEN_ADMIN, AccessKind.EXPORT.value)
    }
    children = {child for _, child, _, _, _ in watch.rows}
    assert child_uuid(world["liva"]) in children
    assert len(children) == len(csv_rows)


async def _photos_zip(client: Any, f: Fixture, who: str) -> int:
    token = await client.token_for(who)
    response = await client.http.get(
        f"/children/{f['liva']}/photos.zip", headers={"Authorization": f"Bearer {token}"}
    )
    await response.aread()
    return response.status_code


# route -> (call it as someone: the status, {who: (status, rows expected)})
REST_CASES: dict[str, tuple[Any, dict[str, tuple[int, set[AccessKind]]]]] = {
    # Only the child's own guardians export its photos: no row for them, and staff are refused.
    "GET /children/{child}/photos.zip": (
        _photos_zip,
        {METTE: (200, set()), PERNILLE: (404, set())},
    ),
}


def test_every_route_is_classified():
    spec = json.loads(OPENAPI.read_text())
    routes = {
        f"{method.upper()} {path}" for path, methods in spec["paths"].items() for method in methods
    }
    classified = set(REST_CASES) | set(REST_NOT_CHILD_DATA) | set(REST_BULK_CASES)
    assert not set(REST_CASES) & set(REST_NOT_CHILD_DATA)
    assert routes == classified, (
        f"log these routes and add a case: {sorted(routes - classified)}"
        f"; stale: {sorted(classified - routes)}"
    )


@pytest.mark.parametrize("route", sorted(REST_CASES))
async def test_a_route_leaves_its_rows(client, runtime, world, route):
    call, readers = REST_CASES[route]
    for who, (status, kinds) in readers.items():
        async with LogWatch(runtime, client) as watch:
            assert await call(client, world, who) == status, who
        assert {(email, child, kind) for email, child, kind, _, _ in watch.rows} == {
            (who, child_uuid(world["liva"]), kind.value) for kind in kinds
        }, who
