"""The nightly close: forgotten check-outs are closed, estimated, and listed for staff; and on
PostgreSQL the database itself refuses a child present twice at once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.attendance.presence.models import Presence
from app.attendance.presence.service.nightly import close_forgotten_checkouts
from app.attendance.service import clock
from tests.attendance.presence_support import (
    STAFF,
    admin_session,
    ago,
    check_in,
    check_out,
    guardian_link,
    liva,
)
from tests.conftest import is_postgres
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, institution_id

# A fixed Monday morning (the plan clock): "yesterday" is a whole day behind whenever this runs.
pytestmark = pytest.mark.usefixtures("plan_clock")


async def _yesterday_stay(client, runtime) -> tuple[dict, uuid.UUID]:
    child = await liva(client)
    came = await check_in(client, child["id"], at=ago(60))
    assert came["__typename"] == "PresenceChanged"
    async with admin_session(runtime) as db:
        if True:
            row = await db.scalar(
                select(Presence).where(Presence.checked_out_at.is_(None)).limit(1)
            )
            presence_id = row.id
            # As if it came yesterday at 08:00 local time and nobody checked it out.
            await db.execute(
                update(Presence)
                .where(Presence.id == presence_id)
                .values(checked_in_at=clock.now() - timedelta(hours=23))
            )
    return child, presence_id


async def test_forgotten_checkouts_are_closed_estimated_and_confirmed(client, runtime):
    child, presence_id = await _yesterday_stay(client, runtime)
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    async with admin_session(runtime) as db:
        institution = (await db.get(Presence, presence_id)).institution_id
    async with runtime.sessions() as db:
        closed = await close_forgotten_checkouts(
            db=db, institution_id=institution, now=clock.now()
        )
    assert closed == 1
    async with runtime.sessions() as db:
        again = await close_forgotten_checkouts(
            db=db, institution_id=institution, now=clock.now()
        )
    assert again == 0
    listed = (await client.gql("UnconfirmedCheckouts", {"institutionId": iid}, as_=STAFF))[
        "unconfirmedCheckouts"
    ]
    assert [p["child"]["name"] for p in listed] == ["Liva Holm-Jensen"]
    assert listed[0]["checkoutEstimated"] is True and listed[0]["checkedOutAt"]
    stranger = await client.gql("UnconfirmedCheckouts", {"institutionId": iid}, as_=REGNBUEN_ADMIN)
    assert stranger["unconfirmedCheckouts"] == []
    refused = (
        await client.gql("ConfirmCheckout", {"presenceId": listed[0]["id"]}, as_=REGNBUEN_ADMIN)
    )["confirmCheckout"]
    assert refused["code"] == "NOT_FOUND"
    confirmed = (await client.gql("ConfirmCheckout", {"presenceId": listed[0]["id"]}, as_=STAFF))[
        "confirmCheckout"
    ]
    assert confirmed["checkoutEstimated"] is False
    assert (await client.gql("UnconfirmedCheckouts", {"institutionId": iid}, as_=STAFF))[
        "unconfirmedCheckouts"
    ] == []
    # Today's stay is a new one.
    today = await check_in(client, child["id"], at=ago(5))
    assert today["__typename"] == "PresenceChanged"


async def test_a_late_real_check_out_replaces_the_estimate(client, runtime):
    child, presence_id = await _yesterday_stay(client, runtime)
    async with admin_session(runtime) as db:
        row = await db.get(Presence, presence_id)
        institution, came = row.institution_id, row.checked_in_at
    async with runtime.sessions() as db:
        await close_forgotten_checkouts(db=db, institution_id=institution, now=clock.now())
    # The tablet syncs yesterday's check-out now (within 24 hours of it).
    real = (came + timedelta(minutes=30)).isoformat()
    went = await check_out(
        client, child["id"], at=real, picked_up_by={"guardianLinkId": guardian_link(child)}
    )
    assert went["__typename"] == "PresenceChanged", went
    assert went["presence"]["checkoutEstimated"] is False
    assert went["presence"]["pickedUpBy"]["kind"] == "GUARDIAN"


@pytest.mark.skipif(not is_postgres(), reason="the exclusion constraint is PostgreSQL's")
async def test_the_database_refuses_overlapping_stays(client, runtime):
    from sqlalchemy.exc import IntegrityError

    child = await liva(client)
    await check_in(client, child["id"], at=ago(60))
    async with admin_session(runtime) as db:
        existing = await db.scalar(select(Presence).where(Presence.checked_out_at.is_(None)))
        assert existing is not None
        # Behind the service's back: a second stay overlapping the open one.
        db.add(
            Presence(
                institution_id=existing.institution_id,
                child_id=existing.child_id,
                checked_in_at=existing.checked_in_at + timedelta(minutes=5),
                checked_out_at=existing.checked_in_at + timedelta(minutes=10),
                checked_in_by=existing.checked_in_by,
            )
        )
        with pytest.raises(IntegrityError, match="ex_presences_no_overlap"):
            await db.flush()
        await db.rollback()


async def test_a_stay_left_open_from_yesterday_does_not_block_today(client, runtime):
    child, _ = await _yesterday_stay(client, runtime)
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    today = await check_in(client, child["id"], at=ago(1))
    assert today["__typename"] == "PresenceChanged", today
    listed = (await client.gql("UnconfirmedCheckouts", {"institutionId": iid}, as_=STAFF))[
        "unconfirmedCheckouts"
    ]
    assert [p["checkoutEstimated"] for p in listed] == [True]


async def test_the_worker_runs_the_nightly_close(client, runtime, settings):
    from app.ops.jobs import run_due_jobs
    from app.root.jobs import PERIODIC_JOBS
    from tests.privacy.test_audit_trail import Watch

    await _yesterday_stay(client, runtime)
    job = next(j for j in PERIODIC_JOBS if j.name == "attendance-nightly")
    async with Watch(runtime, client) as trail:
        ran = await run_due_jobs(
            sessions=runtime.sessions,
            storage=runtime.storage,
            settings=settings,
            jobs=[job],
            now=clock.now(),
        )
    assert ran == ["attendance-nightly"]
    # The estimated check-out is in the audit trail as the worker's.
    (closed,) = trail.rows
    assert (closed.email, closed.role, closed.kind, closed.action, closed.operation) == (
        None,
        "SYSTEM",
        "presence",
        "update",
        "attendance-nightly",
    )
    assert closed.after is not None and closed.after["checkout_estimated"] is True
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    listed = (await client.gql("UnconfirmedCheckouts", {"institutionId": iid}, as_=STAFF))[
        "unconfirmedCheckouts"
    ]
    assert len(listed) == 1 and listed[0]["checkoutEstimated"] is True
