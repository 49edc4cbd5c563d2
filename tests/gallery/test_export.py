"""Downloads and the ZIP export, on both storage backends (local files and S3 over HTTP)."""

from __future__ import annotations

import dataclasses
import io
import types
import zipfile
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from app.core.runtime import Runtime
from app.storage import LocalStorage
from tests.gallery.common import (
    JONAS,
    METTE,
    PERNILLE,
    REGNBUEN_ADMIN,
    add_photo,
    child,
    children_of,
    set_consent,
    solsikken,
)


@pytest.fixture(params=["local", "s3"])
def runtime(request: pytest.FixtureRequest, runtime: Runtime) -> Runtime:
    storage = request.getfixturevalue(f"{request.param}_storage")
    return dataclasses.replace(runtime, storage=storage)


async def _fetch(client, runtime: Runtime, url: str) -> httpx.Response:
    if isinstance(runtime.storage, LocalStorage):
        parts = urlsplit(url)
        return await client.http.get(f"{parts.path}?{parts.query}")
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        return await http.get(url)


async def _export(client, child_id: str, who: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {await client.token_for(who)}"} if who else {}
    return await client.http.get(f"/children/{child_id}/photos.zip", headers=headers)


async def test_signed_urls_serve_clean_renditions_to_those_who_may_see(client, runtime):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    photo = await add_photo(client, node, [liva["id"]], size=(2400, 1200))
    sizes = {}
    for variant in ("FULL", "DISPLAY", "THUMBNAIL"):
        data = await client.gql("PhotoDownload", {"id": photo["id"], "variant": variant}, as_=JONAS)
        response = await _fetch(client, runtime, data["node"]["url"])
        assert response.status_code == 200, response.text
        image = Image.open(io.BytesIO(response.content))
        assert dict(image.getexif()) == {}
        sizes[variant] = image.size
    assert sizes == {"FULL": (1200, 2400), "DISPLAY": (800, 1600), "THUMBNAIL": (160, 320)}
    other = next(c for c in children_of(node, "Bjørnene") if c["name"] != "Liva Holm-Jensen")
    hidden = await client.gql(
        "PhotoDownload", {"id": photo["id"], "variant": "FULL"}, as_=other["guardians"][0]["email"]
    )
    assert hidden["node"] is None


async def test_a_photo_keeps_its_link_from_one_answer_to_the_next(client, runtime, monkeypatch):
    """The app's image cache hits: the next answer hands out the same link while it has at
    least half its life left (app/storage/links.py), to everyone who may see the photo."""
    from app.storage import local

    ticks = iter(range(1_900_000_000, 2_000_000_000, 7))  # a local link signed anew differs
    monkeypatch.setattr(local, "time", types.SimpleNamespace(time=lambda: float(next(ticks))))
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    photo = await add_photo(client, node, [liva["id"]], size=(320, 200))
    links = {
        (await client.gql("PhotoDownload", {"id": photo["id"], "variant": "DISPLAY"}, as_=who))[
            "node"
        ]["url"]
        for who in (JONAS, JONAS, METTE)
    }
    assert len(links) == 1
    assert (await _fetch(client, runtime, links.pop())).status_code == 200
    thumbnail = await client.gql(
        "PhotoDownload", {"id": photo["id"], "variant": "THUMBNAIL"}, as_=JONAS
    )
    full = await client.gql("PhotoDownload", {"id": photo["id"], "variant": "FULL"}, as_=JONAS)
    assert thumbnail["node"]["url"] != full["node"]["url"]


async def test_a_guardian_downloads_every_photo_they_may_see_as_one_zip(client, runtime):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    ella = next(c for c in children_of(node, "Bjørnene") if c["name"] != "Liva Holm-Jensen")
    for _ in range(3):
        await add_photo(client, node, [liva["id"]], size=(320, 200))
    await add_photo(client, node, [liva["id"], ella["id"]])  # Ella: own guardians only
    await add_photo(client, node, [ella["id"]])
    for who in (METTE, JONAS):
        response = await _export(client, liva["id"], who)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/zip"
        assert "photos-liva-holm-jensen.zip" in response.headers["content-disposition"]
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        names = archive.namelist()
        assert len(names) == 3 and all(n.endswith(".jpg") for n in names)
        for name in names:
            image = Image.open(io.BytesIO(archive.read(name)))
            assert image.size == (200, 320)  # full resolution, turned upright
            assert dict(image.getexif()) == {}
    # Withdrawn consent: the export follows at once.
    await set_consent(client, METTE, liva["id"], "NONE")
    emptied = zipfile.ZipFile(io.BytesIO((await _export(client, liva["id"], JONAS)).content))
    assert emptied.namelist() == []


async def test_the_export_is_for_the_childs_own_guardians_only(client, runtime):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    await add_photo(client, node, [liva["id"]])
    other = next(c for c in children_of(node, "Bjørnene") if c["name"] != "Liva Holm-Jensen")
    for stranger in (other["guardians"][0]["email"], REGNBUEN_ADMIN, PERNILLE):
        response = await _export(client, liva["id"], stranger)
        assert response.status_code == 404, stranger
        assert response.json()["code"] == "NOT_FOUND"
    assert (await _export(client, liva["id"], None)).status_code == 401
    assert (await _export(client, "not-an-id", METTE)).status_code == 404


async def test_deleting_a_photo_removes_its_objects_from_the_store(client, runtime):
    from sqlalchemy import select

    from app.api.ids import decode
    from app.db import scope
    from app.files.models import StoredFile

    node = await solsikken(client)
    photo = await add_photo(client, node, [])
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(node["id"], "Institution", field="i")], user_id=None)
        keys = [
            m["key"]
            for row in (await db.scalars(select(StoredFile))).all()
            for m in row.variants.values()
        ]
    assert len(keys) == 3 and all([await runtime.storage.exists(k) for k in keys])
    deleted = (await client.gql("DeletePhoto", {"photoId": photo["id"]}, as_=PERNILLE))[
        "deletePhoto"
    ]
    assert deleted["__typename"] == "PhotoDeleted"
    assert not any([await runtime.storage.exists(k) for k in keys])
