"""Retention (`seddel retention` calls purge_expired_photos), the child-day events and the
batch read the child-day timeline uses."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.accounts.service import auth as accounts
from app.api.ids import decode
from app.daybook.service.live import channel as child_day_channel
from app.db import scope, utcnow, write_transaction
from app.files.models import StoredFile
from app.gallery.loaders import visible_photos_by_child_day
from app.gallery.service.retention import purge_expired_photos
from app.institutions.service import actor as institutions
from app.institutions.service.settings import months_before
from tests.gallery.common import (
    METTE,
    PERNILLE,
    add_photo,
    child,
    children_of,
    set_consent,
    solsikken,
)
from tests.helpers import SOLSIKKEN_ADMIN


async def _objects(runtime, node) -> list[str]:
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(node["id"], "Institution", field="i")], user_id=None)
        rows = (await db.scalars(select(StoredFile))).all()
        return [meta["key"] for row in rows for meta in row.variants.values()]


async def _purge(runtime, node, now) -> int:
    institution = decode(node["id"], "Institution", field="i")
    async with runtime.sessions() as db:
        scope(db, institution_ids=[institution], user_id=None)
        return await purge_expired_photos(
            db=db, storage=runtime.storage, institution_id=institution, now=now
        )


def test_months_before_keeps_the_day_or_takes_the_last_of_the_month():
    moment = utcnow().replace(year=2026, month=8, day=31)
    assert months_before(moment, 6).date().isoformat() == "2026-02-28"
    assert months_before(moment, 8).date().isoformat() == "2025-12-31"


async def test_retention_deletes_old_photos_with_their_objects(client, runtime):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    photos = [await add_photo(client, node, [liva["id"]]) for _ in range(2)]
    keys = await _objects(runtime, node)
    assert len(keys) == 6
    assert await _purge(runtime, node, utcnow() + timedelta(days=150)) == 0  # default: 6 months
    done = await client.gql(
        "UpdateInstitutionSettings",
        {"institution": node["id"], "input": {"photoRetentionMonths": 1}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert done["updateInstitutionSettings"]["__typename"] == "Institution"
    assert await _purge(runtime, node, utcnow() + timedelta(days=40)) == 2
    assert await _objects(runtime, node) == []
    assert not any([await runtime.storage.exists(k) for k in keys])
    for photo in photos:
        assert (await client.gql("PhotoNode", {"id": photo["id"]}, as_=PERNILLE))["node"] is None


async def test_tagging_publishes_a_child_day_event_after_commit(client, runtime):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    liva_uuid = decode(liva["id"], "Child", field="c")
    async with runtime.broker.subscribe(child_day_channel(liva_uuid)) as events:
        photo = await add_photo(client, node, [liva["id"]])
        event = await asyncio.wait_for(events.__anext__(), timeout=5)
    assert event == {"kind": "photo", "id": str(decode(photo["id"], "Photo", field="p"))}


async def test_photos_by_child_day_read_many_children_in_one_statement(
    client, runtime, assert_max_queries
):
    node = await solsikken(client)
    kids = children_of(node, "Bjørnene")
    liva = child(node, "Liva Holm-Jensen")
    await set_consent(client, METTE, liva["id"], "GROUP")
    await add_photo(client, node, [liva["id"]])
    await add_photo(client, node, [k["id"] for k in kids[:3] if k["id"] != liva["id"]])
    async with runtime.sessions() as db:
        async with write_transaction(db):
            user = await accounts.find_user_by_email(db=db, email=METTE)
            assert user is not None
            actor = await institutions.load_actor(db=db, user=user, session=None)
        ids = [decode(k["id"], "Child", field="c") for k in kids]
        today = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
        with assert_max_queries(2):  # PostgreSQL: the tenant scope, then the one read
            found = await visible_photos_by_child_day(db, actor, [(i, today) for i in ids])
    liva_uuid = decode(liva["id"], "Child", field="c")
    assert set(found) == {(i, today) for i in ids}
    assert len(found[(liva_uuid, today)]) == 1
    assert sum(len(v) for (k, _), v in found.items() if k != liva_uuid) == 0


async def test_seddel_retention_runs_the_photo_job_for_every_institution(client, runtime, settings):
    from app.ops.jobs import JobContext
    from app.root.jobs import retention as run_retention

    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    await add_photo(client, node, [liva["id"]])
    keys = await _objects(runtime, node)
    later = JobContext(
        sessions=runtime.sessions, storage=runtime.storage, settings=settings,
        now=utcnow() + timedelta(days=190),
    )
    assert (await run_retention(later))["photos"] == 1
    assert not any([await runtime.storage.exists(k) for k in keys])
