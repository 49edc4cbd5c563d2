"""The Art. 15 export, end to end through the API and the worker's job, on local storage and
on S3 (moto's server): the ZIP holds exactly what the person may see (each JSON part equals
the API's own answer to the same person), the photos under consent, their threads'
attachments and a README in their language; states queued → building → ready → expired, or
failed with a reason; one running export per person."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select, update

from app.core.runtime import Runtime
from app.db import utcnow
from app.notifications.models import OutboxEntry
from app.ops.jobs import JobContext, run_due_jobs
from app.privacy.export.models import DataExport
from app.root.export import clean
from app.root.jobs import PERIODIC_JOBS, data_export_expiry, data_exports
from app.storage import LocalStorage, StorageError
from tests.attendance.plan_helpers import add_pickup_person
from tests.daybook.helpers import record
from tests.files import upload
from tests.gallery.common import JONAS, METTE, PERNILLE, add_photo, child, children_of, solsikken
from tests.messaging.util import started
from tests.privacy.helpers import fill_record

LIVA = "Liva Holm-Jensen"


@pytest.fixture(params=["local", "s3"])
def runtime(request: pytest.FixtureRequest, runtime: Runtime) -> Runtime:
    storage = request.getfixturevalue(f"{request.param}_storage")
    return dataclasses.replace(runtime, storage=storage)


def _context(runtime: Runtime, later: timedelta = timedelta(0)) -> JobContext:
    return JobContext(
        sessions=runtime.sessions,
        storage=runtime.storage,
        settings=runtime.settings,
        now=utcnow() + later,
    )


async def _fetch(client: Any, runtime: Runtime, url: str) -> httpx.Response:
    if isinstance(runtime.storage, LocalStorage):
        parts = urlsplit(url)
        return await client.http.get(f"{parts.path}?{parts.query}")
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        return await http.get(url)


async def _request(client: Any, who: str, **variables: Any) -> dict[str, Any]:
    data = await client.gql("RequestMyDataExport", variables, as_=who)
    result: dict[str, Any] = data["requestMyDataExport"]
    return result


async def _mine(client: Any, who: str) -> list[dict[str, Any]]:
    exports: list[dict[str, Any]] = (await client.gql("MyDataExports", {}, as_=who))[
        "myDataExports"
    ]
    return exports


async def _download(client: Any, runtime: Runtime, who: str) -> zipfile.ZipFile:
    (ready,) = [e for e in await _mine(client, who) if e["state"] == "READY"]
    response = await _fetch(client, runtime, ready["downloadUrl"])
    assert response.status_code == 200, response.text
    return zipfile.ZipFile(io.BytesIO(response.content))


def _json(archive: zipfile.ZipFile, name: str) -> Any:
    return json.loads(archive.read(name))


async def _world(client: Any) -> dict[str, Any]:
    node = await solsikken(client)
    liva = child(node, LIVA)
    ella = next(c for c in children_of(node, "Bjørnene") if c["name"] != LIVA)
    await fill_record(client, liva["id"])
    await add_pickup_person(client, liva["id"])
    entry = await record(client, liva["id"], {"mood": {"mood": "HAPPY"}})
    assert entry["__typename"] == "DayEntry", entry
    shown = [(await add_photo(client, node, [liva["id"]]))["id"] for _ in range(2)]
    # Ella's consent is "own guardians only": Liva's mother may not see this one.
    hidden = (await add_photo(client, node, [liva["id"], ella["id"]]))["id"]
    pdf = await upload(
        client,
        as_=PERNILLE,
        institution=node["id"],
        purpose="attachment",
        filename="madplan.pdf",
        data=b"%PDF-1.4 madplan",
    )
    (thread,) = await started(
        client,
        PERNILLE,
        node["id"],
        {"children": [liva["id"]]},
        body="Se bilag",
        fileIds=[pdf["id"]],
    )
    return {
        "node": node,
        "liva": liva,
        "shown": shown,
        "hidden": hidden,
        "thread": thread,
        "entry": entry["id"],
    }


async def test_the_export_holds_exactly_what_the_api_shows_the_custody_holder(client, runtime):
    w = await _world(client)
    liva = w["liva"]["id"]
    asked = await _request(client, METTE)
    assert asked["__typename"] == "DataExport", asked
    assert (asked["state"], asked["progress"], asked["downloadUrl"]) == ("QUEUED", 0, None)

    assert await data_exports(_context(runtime))
    (ready,) = await _mine(client, METTE)
    assert (ready["state"], ready["progress"]) == ("READY", 100)
    assert ready["sizeBytes"] > 0 and ready["downloadUrl"]
    expires = datetime.fromisoformat(ready["expiresAt"]) - datetime.fromisoformat(ready["readyAt"])
    assert expires == timedelta(days=7)
    archive = await _download(client, runtime, METTE)
    names = archive.namelist()
    assert "LAESMIG.txt" in names and "indsigtsretten" in archive.read("LAESMIG.txt").decode()

    # Every JSON part is the API's own answer to her (without the short-lived links).
    async def api(name: str, **variables: Any) -> Any:
        return clean(await client.gql(name, variables, as_=METTE))

    assert _json(archive, "me.json") == (await api("Me"))["me"]
    (folder,) = {n.split("/")[1] for n in names if n.startswith("children/Liva-Holm-Jensen-")}
    base = f"children/{folder}"
    assert (
        _json(archive, f"{base}/record.json")
        == (await api("ChildRecord", childId=liva))["childRecord"]
    )
    pickup = _json(archive, f"{base}/pickup.json")
    assert {k: pickup[k] for k in ("pickupPersons", "pickupCodeword")} == await api(
        "PickupPersons", childId=liva
    )
    assert [p["name"] for p in pickup["pickupPersons"]] == ["Inge Holm"]
    photos = _json(archive, f"{base}/photos.json")
    listed = await api("ChildPhotos", childId=liva, first=100)
    assert photos == [edge["node"] for edge in listed["childPhotos"]["edges"]]
    assert {p["id"] for p in photos} == set(w["shown"])  # the photo with Ella is not there
    photo_files = [n for n in names if n.startswith(f"{base}/photos/")]
    assert len(photo_files) == 2 and all(n.endswith(".jpg") for n in photo_files)
    days = _json(archive, f"{base}/days.json")
    assert w["entry"] in {e["id"] for d in days for e in d["entries"]}
    answer = await api("ChildDays", child=liva, start=days[0]["date"], end=days[-1]["date"])
    assert days == [d for d in answer["childDays"] if d["entries"] or d["photos"]]
    threads = _json(archive, "messages/threads.json")
    inbox = await api("Inbox", first=100)
    assert [t["id"] for t in threads] == [e["node"]["id"] for e in inbox["inbox"]["edges"]]
    assert threads[0]["messages"][0]["body"] == "Se bilag"
    (attachment,) = [n for n in names if n.startswith("messages/files/")]
    assert attachment.endswith("-madplan.pdf") and archive.read(attachment) == b"%PDF-1.4 madplan"
    # Her own reads leave nothing in the log; it is in the export, as the API shows it.
    assert (
        _json(archive, f"{base}/access_log.json")
        == (await api("ChildAccessLog", childId=liva, since="2000-01-01T00:00:00+00:00"))[
            "childAccessLog"
        ]
    )

    # Announced in the outbox, to her only, with nothing of the export in it.
    async with runtime.sessions() as db:
        from app.db import scope

        scope(db, institution_ids=[_institution(w)], user_id=None)
        rows = (
            await db.scalars(select(OutboxEntry).where(OutboxEntry.kind == "data_export_ready"))
        ).all()
    assert (
        rows
        and {r.channel for r in rows} <= {"push", "email"}
        and all(r.preview is None for r in rows)
    )


def _institution(w: dict[str, Any]) -> Any:
    from app.api.ids import decode

    return decode(w["node"]["id"], "Institution", field="x")


async def test_information_only_guardian_gets_their_own_data_not_the_childs(client, runtime):
    await _world(client)
    done = await client.gql("UpdateMyProfile", {"input": {"preferredLanguage": "en"}}, as_=JONAS)
    assert done["updateMyProfile"]["__typename"] == "MyProfile", done
    assert (await _request(client, JONAS))["__typename"] == "DataExport"
    await data_exports(_context(runtime))
    archive = await _download(client, runtime, JONAS)
    names = archive.namelist()
    assert "README.txt" in names and "right of access" in archive.read("README.txt").decode()
    assert "me.json" in names and not any(n.startswith("children/") for n in names)


async def test_one_running_export_at_a_time_and_a_retry_gets_the_same(client, runtime):
    first = await _request(client, METTE, idempotencyKey="k-1")
    again = await _request(client, METTE, idempotencyKey="k-1")
    assert again["id"] == first["id"]
    refused = await _request(client, METTE)
    assert refused["__typename"] == "ConflictError" and refused["code"] == "CONFLICT", refused
    assert "ikke færdig" in refused["message"]
    assert (refused["reason"], refused["retryable"]) == ("DATA_EXPORT_RUNNING", True)
    await data_exports(_context(runtime))
    assert (await _request(client, METTE))["__typename"] == "DataExport"  # done: a new one


async def test_after_seven_days_the_zip_is_deleted_and_the_export_expired(client, runtime):
    await _request(client, METTE)
    await data_exports(_context(runtime))
    async with runtime.sessions() as db:
        key = await db.scalar(select(DataExport.object_key))
    assert key and await runtime.storage.exists(key)
    assert await data_export_expiry(_context(runtime, timedelta(days=6))) == 0
    assert await runtime.storage.exists(key)
    # The worker runs it (hourly) like every periodic job.
    (job,) = [j for j in PERIODIC_JOBS if j.name == "data-export-expiry"]
    ran = await run_due_jobs(
        sessions=runtime.sessions,
        storage=runtime.storage,
        settings=runtime.settings,
        jobs=[job],
        now=utcnow() + timedelta(days=7, minutes=1),
    )
    assert ran == ["data-export-expiry"]
    assert not await runtime.storage.exists(key)
    (gone,) = await _mine(client, METTE)
    assert (gone["state"], gone["downloadUrl"]) == ("EXPIRED", None)


async def test_a_failed_build_says_why_and_leaves_nothing(client, runtime):
    class Refusing:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        async def put_stream(self, key: str, chunks: Any, *, content_type: str) -> int:
            async for _ in chunks:
                raise StorageError("disk full")
            return 0

    await _request(client, METTE)
    context = _context(runtime)
    await data_exports(dataclasses.replace(context, storage=Refusing(runtime.storage)))
    (failed,) = await _mine(client, METTE)
    assert (failed["state"], failed["downloadUrl"]) == ("FAILED", None)
    assert failed["failureReason"] == "Udtrækningen kunne ikke gemmes. Prøv igen senere."
    # A build a dead worker left behind fails too, so she may ask again.
    await _request(client, METTE)
    async with runtime.sessions() as db, db.begin():
        await db.execute(
            update(DataExport)
            .where(DataExport.state == "queued")
            .values(state="building", started_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
    await data_export_expiry(_context(runtime))
    states = [e["state"] for e in await _mine(client, METTE)]
    assert states == ["FAILED", "FAILED"]


async def test_progress_is_visible_while_it_builds(client, runtime):
    from app.privacy.export.service import build
    from app.root.export import export_gatherer

    await _world(client)
    await _request(client, METTE)
    seen: list[tuple[str, int]] = []
    context = _context(runtime)
    gather = export_gatherer(context)

    def watching(**kwargs: Any) -> Any:
        async def parts() -> Any:
            async for part in gather(**kwargs):
                async with runtime.sessions() as db:
                    row = await db.scalar(select(DataExport))
                    assert row is not None
                    seen.append((row.state, row.progress))
                yield part

        return parts()

    await build.build_queued_exports(
        sessions=context.sessions, storage=context.storage, gather=watching
    )
    assert {state for state, _ in seen} == {"building"}
    progress = [p for _, p in seen]
    assert progress == sorted(progress) and progress[0] >= 1 and 30 <= progress[-1] < 100
    assert [(e["state"], e["progress"]) for e in await _mine(client, METTE)] == [("READY", 100)]


async def test_listing_exports_costs_the_same_for_one_or_many(client, runtime, assert_max_queries):
    await client.token_for(METTE)
    await _request(client, METTE)
    with assert_max_queries(6) as one:
        assert len(await _mine(client, METTE)) == 1
    for _ in range(3):
        await data_exports(_context(runtime))
        await _request(client, METTE)
    with assert_max_queries(one.count):
        assert len(await _mine(client, METTE)) == 4


async def test_an_admins_export_holds_their_own_reads_as_the_api_shows_them(client, runtime):
    from tests.helpers import SOLSIKKEN_ADMIN

    w = await _world(client)
    read = await client.gql("ChildRecord", {"childId": w["liva"]["id"]}, as_=SOLSIKKEN_ADMIN)
    assert read["childRecord"] is not None
    await _request(client, SOLSIKKEN_ADMIN)
    await data_exports(_context(runtime))
    archive = await _download(client, runtime, SOLSIKKEN_ADMIN)
    (name,) = [n for n in archive.namelist() if n.startswith("my_reads/")]
    me = (await client.gql("Me", {}, as_=SOLSIKKEN_ADMIN))["me"]
    person = _json(archive, "me.json")["id"]
    answer = await client.gql(
        "InstitutionAccessLog",
        {
            "institutionId": w["node"]["id"],
            "since": "2000-01-01T00:00:00+00:00",
            "personId": person,
        },
        as_=SOLSIKKEN_ADMIN,
    )
    reads = _json(archive, name)
    assert reads == clean(answer)["institutionAccessLog"] and reads
    assert {a["kind"] for day in reads for a in day["accesses"]} >= {"CHILD_RECORD"}
    assert me["id"] == person
