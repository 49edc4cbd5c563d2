"""Attachments against both storage backends, local files and S3 over HTTP (moto's server):
upload, send, a participant downloads through the signed URL, deleting removes the objects;
retention takes threads with their files by the institution's own number of months; an
upload whose database write fails leaves no object behind."""

from __future__ import annotations

import dataclasses
import io
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from app.api.ids import decode
from app.core.runtime import Runtime
from app.db import utcnow
from app.files.models import StoredFile
from app.files.service import uploads as files
from app.ops.jobs import JobContext
from app.root.jobs import retention as run_retention
from app.storage import LocalStorage
from tests.files import jpeg_bytes, pdf_bytes, upload, upload_response
from tests.messaging.util import (
    LARS,
    METTE,
    PERNILLE,
    admin,
    demo,
    scoped,
    send,
    started,
    thread,
)

FILES_QUERY = """
query MessageFiles($id: ID!) {
  node(id: $id) { ... on Message { files { id filename contentType url } } }
}
"""


@pytest.fixture(params=["local", "s3"])
def runtime(request: pytest.FixtureRequest, runtime: Runtime) -> Runtime:
    storage = request.getfixturevalue(f"{request.param}_storage")
    return dataclasses.replace(runtime, storage=storage)


async def _files(client, as_: str, message_id: str) -> list[dict[str, Any]] | None:
    payload = await client.execute("MessageFiles", {"id": message_id}, as_=as_, query=FILES_QUERY)
    node = payload["data"]["node"]
    return None if node is None else node["files"]


async def _fetch(client, runtime: Runtime, url: str) -> httpx.Response:
    """Download a signed URL: the app's route for local files, the S3 endpoint otherwise."""
    if isinstance(runtime.storage, LocalStorage):
        parts = urlsplit(url)
        return await client.http.get(f"{parts.path}?{parts.query}")
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        return await http.get(url)


async def _keys(runtime: Runtime, institution: str, file_ids: list[str]) -> list[str]:
    async with scoped(runtime, institution) as db:
        rows = [await db.get(StoredFile, decode(i, "File", field="x")) for i in file_ids]
        return files.keys_of([row for row in rows if row is not None])


async def _exist(runtime: Runtime, keys: list[str]) -> list[bool]:
    return [await runtime.storage.exists(key) for key in keys]


async def test_a_participant_downloads_the_attachment_and_deleting_removes_the_objects(
    client, runtime
):
    d = await demo(client)
    pdf = await upload(
        client,
        as_=PERNILLE,
        institution=d.institution,
        purpose="attachment",
        filename="madplan.pdf",
        data=pdf_bytes(),
    )
    photo = await upload(
        client,
        as_=PERNILLE,
        institution=d.institution,
        purpose="attachment",
        filename="tur.jpg",
        data=jpeg_bytes(),
    )
    keys = await _keys(runtime, d.institution, [pdf["id"], photo["id"]])
    institution_id = decode(d.institution, "Institution", field="x")
    assert keys and all(k.startswith(f"institutions/{institution_id}/files/") for k in keys)
    assert all(await _exist(runtime, keys))
    (t,) = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen")]},
        body="Se vedhæftet",
        fileIds=[pdf["id"], photo["id"]],
    )
    message_id = t["lastMessage"]["id"]

    attached = await _files(client, METTE, message_id)
    assert [f["filename"] for f in attached] == ["madplan.pdf", "tur.jpg"]
    document = await _fetch(client, runtime, attached[0]["url"])
    assert document.status_code == 200, document.text
    assert document.content == pdf_bytes()
    assert "madplan.pdf" in document.headers["content-disposition"]
    picture = await _fetch(client, runtime, attached[1]["url"])
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(picture.content)).getexif()  # no GPS
    # Someone outside the thread gets no link at all.
    stranger = d.other_bjornene_family()["guardians"][0]["email"]
    assert await _files(client, stranger, message_id) is None

    deleted = await client.gql("DeleteMessage", {"messageId": message_id}, as_=PERNILLE)
    assert deleted["deleteMessage"]["isDeleted"] is True
    assert not any(await _exist(runtime, keys))
    assert (await _fetch(client, runtime, attached[0]["url"])).status_code in (403, 404)
    assert await _files(client, METTE, message_id) == []


async def test_retention_uses_the_institutions_months_and_takes_the_attachments(client, runtime):
    d = await demo(client)
    await admin(
        client,
        "UpdateInstitutionSettings",
        {"institution": d.institution, "input": {"messageRetentionMonths": 3}},
    )
    letter = await upload(
        client,
        as_=PERNILLE,
        institution=d.institution,
        purpose="attachment",
        filename="brev.pdf",
        data=pdf_bytes(),
    )
    drawing = await upload(
        client,
        as_=METTE,
        institution=d.institution,
        purpose="attachment",
        filename="tegning.jpg",
        data=jpeg_bytes(),
    )
    (about,) = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen")]},
        fileIds=[letter["id"]],
    )
    (broadcast,) = await started(
        client, PERNILLE, d.institution, {"groups": [d.groups["Bjørnene"]]}
    )
    reply = await send(client, METTE, broadcast["id"], "Her er en tegning", fileIds=[drawing["id"]])
    assert reply["thread"]["id"] != broadcast["id"]  # her own reply thread below the broadcast
    keys = await _keys(runtime, d.institution, [letter["id"], drawing["id"]])
    # Regnbuen keeps the default 24 months.
    (kept,) = await started(
        client, LARS, d.regnbuen, {"staff": [d.staff["hanne@regnbuen.example"]]}
    )

    def context(days: int) -> JobContext:
        return JobContext(
            sessions=runtime.sessions,
            storage=runtime.storage,
            settings=runtime.settings,
            now=utcnow() + timedelta(days=days),
        )

    # Two months on: within Solsikken's three calendar months, all stays.
    await run_retention(context(62))
    assert await thread(client, METTE, about["id"]) is not None
    assert all(await _exist(runtime, keys))
    # Three calendar months and some days on: the threads, the reply and the files go.
    totals = await run_retention(context(100))
    assert totals["messages"] >= 3
    for gone in (about["id"], broadcast["id"], reply["thread"]["id"]):
        assert await thread(client, PERNILLE, gone) is None
    assert not any(await _exist(runtime, keys))
    assert await _keys(runtime, d.institution, [letter["id"], drawing["id"]]) == []
    assert await thread(client, LARS, kept["id"]) is not None


async def test_an_upload_whose_database_write_fails_leaves_no_object(client, runtime, monkeypatch):
    d = await demo(client)
    # A purpose the code accepts but the database's check constraint does not: the objects
    # are written, then the INSERT fails in the database.
    monkeypatch.setitem(files.PURPOSES, "unlisted", files.PURPOSES["attachment"])
    written: list[str] = []
    put = runtime.storage.put

    async def recording_put(key: str, data: bytes, *, content_type: str) -> None:
        await put(key, data, content_type=content_type)
        written.append(key)

    monkeypatch.setattr(runtime.storage, "put", recording_put)

    async def stored() -> int:
        async with scoped(runtime, d.institution) as db:
            return int(await db.scalar(select(func.count()).select_from(StoredFile)) or 0)

    before = await stored()
    for filename, data in (("madplan.pdf", pdf_bytes()), ("tur.jpg", jpeg_bytes())):
        written.clear()
        response = await upload_response(
            client,
            as_=PERNILLE,
            institution=d.institution,
            purpose="unlisted",
            filename=filename,
            data=data,
        )
        assert response.status_code == 500
        assert written, "the objects were written before the database failed"
        assert not any(await _exist(runtime, written))
    assert await stored() == before
