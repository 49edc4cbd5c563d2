"""The smallest world the retention tests need: Liva with one of each kind of data (a record
with an emergency contact, a pickup person with a photo, a pickup plan, a day entry, a stay
with who picked her up, an absence with a note, a photo, a thread about her), who then
leaves today; and a way to run retention "years later"."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.api.ids import decode
from app.attendance.absences.models import Absence
from app.attendance.pickup.models import PickupPerson
from app.attendance.presence.models import Presence
from app.childrecord.models import ChildRecord, EmergencyContact
from app.core.runtime import Runtime
from app.daybook.models import DayEntry
from app.db import scope, utcnow
from app.files.models import StoredFile
from app.gallery.models import PhotoChild
from app.institutions.models import Child, GuardianLink
from app.ops.jobs import JobContext
from app.root.jobs import retention_report
from app.storage import ObjectStorage
from tests.attendance.plan_helpers import add_pickup_person, family
from tests.attendance.presence_support import check_in, check_out
from tests.daybook.helpers import record
from tests.files import jpeg_bytes, upload
from tests.gallery.common import add_photo
from tests.helpers import SOLSIKKEN_ADMIN
from tests.messaging.util import PERNILLE, started
from tests.privacy.helpers import METTE, fill_record

LATER = timedelta(days=11 * 366)  # past every kind's longest retention (120 months)


async def liva_leaves(client: Any) -> dict[str, Any]:
    f = await family(client)
    liva = f["liva"]
    await fill_record(client, liva)
    await client.gql(
        "AddEmergencyContact",
        {"childId": liva, "input": {"name": "Morfar", "phone": "+45 20 30 40 50"}},
        as_=METTE,
    )
    person = await add_pickup_person(client, liva)
    photo_file = await upload(
        client,
        as_=METTE,
        institution=f["institution"],
        purpose="pickup_photo",
        filename="inge.jpg",
        data=jpeg_bytes(64, 48),
    )
    done = await client.gql(
        "SetPickupPersonPhoto", {"pickupPersonId": person, "fileId": photo_file["id"]}, as_=METTE
    )
    assert done["setPickupPersonPhoto"]["photo"], done
    today = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    entry = await record(client, liva, {"mood": {"mood": "HAPPY"}})
    assert entry["__typename"] == "DayEntry", entry
    await check_in(client, liva)
    out = await check_out(client, liva, picked_up_by={"guardianLinkId": f["liva_links"][METTE]})
    assert out["__typename"] == "PresenceChanged", out
    absent = await client.gql(
        "RegisterAbsence",
        {
            "childId": liva,
            "kind": "SICK",
            "fromDay": today.isoformat(),
            "untilDay": today.isoformat(),
            "note": "Feber",
        },
        as_=METTE,
    )
    assert absent["registerAbsence"]["__typename"] == "Absence", absent
    photo = await add_photo(
        client,
        {"id": f["institution"], "groups": [{"id": f["bears_group"], "name": "Bjørnene"}]},
        [liva],
    )
    assert photo["__typename"] == "Photo", photo
    (thread,) = await started(client, PERNILLE, f["institution"], {"children": [liva]})
    left = await client.gql(
        "DeactivateChild", {"childId": liva, "lastDay": today.isoformat()}, as_=SOLSIKKEN_ADMIN
    )
    assert left["deactivateChild"]["__typename"] == "Child", left
    return {**f, "photo": photo["id"], "thread": thread["id"], "person": person}


def context(
    runtime: Runtime, storage: ObjectStorage | None = None, later: timedelta = LATER
) -> JobContext:
    return JobContext(
        sessions=runtime.sessions,
        storage=storage or runtime.storage,
        settings=runtime.settings,
        now=utcnow() + later,
    )


async def run(runtime: Runtime, later: timedelta = LATER) -> Any:
    return await retention_report(context(runtime, later=later))


async def count(runtime: Runtime, institution: str, query: Any) -> Any:
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(institution, "Institution", field="i")], user_id=None)
        return await db.scalar(query)


async def object_keys(runtime: Runtime, institution: str) -> list[str]:
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(institution, "Institution", field="i")], user_id=None)
        rows = (await db.scalars(select(StoredFile))).all()
        return [meta["key"] for row in rows for meta in row.variants.values()]


def uuid_of(global_id: str, type_name: str = "Child") -> Any:
    return decode(global_id, type_name, field="x")


def with_storage(runtime: Runtime, storage: ObjectStorage) -> Runtime:
    return dataclasses.replace(runtime, storage=storage)


async def hers(runtime: Runtime, w: dict[str, Any]) -> dict[str, Any]:
    """What of Liva's data is there, per kind."""
    liva = uuid_of(w["liva"])

    async def rows(model: Any) -> int:
        return int(
            await count(
                runtime,
                w["institution"],
                select(func.count()).select_from(model).where(model.child_id == liva),
            )
        )

    stay = await count(
        runtime,
        w["institution"],
        select(Presence.picked_up_by_user).where(Presence.child_id == liva),
    )
    note = await count(
        runtime, w["institution"], select(Absence.note).where(Absence.child_id == liva)
    )
    name = await count(runtime, w["institution"], select(Child.first_name).where(Child.id == liva))
    return {
        "day entries": await rows(DayEntry),
        "pickup persons": await rows(PickupPerson),
        "record": await rows(ChildRecord) + await rows(EmergencyContact),
        "guardians": await rows(GuardianLink),
        "photos": await rows(PhotoChild),
        "stays": await rows(Presence),
        "absences": await rows(Absence),
        "picked up by someone": stay is not None,
        "absence note": note,
        "name": name,
    }
