"""Gallery operations of `make bench` (app/bench/run.py): a group album of 50 photos for staff and
for a guardian, and the upload of a 12-megapixel JPEG; and the photos of the guardian's
"my child's day" (10 per child)."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.ids import encode
from app.core.images import CleanImage, clean_image
from app.db import new_id, utcnow
from app.files.models import StoredFile
from app.files.service import uploads as files
from app.gallery.models import Photo, PhotoChild, PhotoConsent
from app.storage import ObjectStorage

ALBUM_PHOTOS = 50
DAY_PHOTOS = 10
Post = Callable[..., Awaitable[dict[str, Any]]]
Measure = Callable[..., Awaitable[dict[str, Any]]]


def jpeg(width: int, height: int, *, noise: bool = False) -> bytes:
    """A JPEG; with noise it weighs what a phone's photo weighs (several MB at 12 MP)."""
    if noise:
        image = Image.merge("RGB", [Image.effect_noise((width, height), 40)] * 3)
    else:
        image = Image.new("RGB", (width, height), (180, 120, 60))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


async def stored_photo(
    storage: ObjectStorage,
    cleaned: CleanImage,
    institution_id: uuid.UUID,
    author: uuid.UUID,
    filename: str,
    now: datetime,
) -> dict[str, Any]:
    """A cleaned photo's renditions put in storage, and the stored_files row an upload would
    leave for them (claimed): written directly, as the bench seeds volume."""
    file_id = new_id()
    variants = {}
    for variant, rendition in cleaned.renditions.items():
        key = files.object_key(institution_id, file_id, variant, "jpg")
        await storage.put(key, rendition.data, content_type=rendition.content_type)
        variants[variant] = {
            "key": key,
            "content_type": rendition.content_type,
            "size": len(rendition.data),
            "width": rendition.width,
            "height": rendition.height,
        }
    full = cleaned.renditions["full"]
    return {
        "id": file_id,
        "institution_id": institution_id,
        "uploaded_by": author,
        "purpose": "photo",
        "kind": "image",
        "filename": filename,
        "content_type": full.content_type,
        "size": len(full.data),
        "width": full.width,
        "height": full.height,
        "variants": variants,
        "claimed_at": now,
        "created_at": now,
        "updated_at": now,
    }


@dataclass(frozen=True)
class SeededPhotos:
    photo_ids: list[uuid.UUID]
    file_ids: list[uuid.UUID]
    keys: list[str]


async def seed_day_photos(
    owner: AsyncEngine, storage: ObjectStorage, children: Sequence[uuid.UUID], day: date
) -> SeededPhotos:
    """Ten photos of each child's day, each tagged with that child alone (so its own
    guardians see them under any consent but "none"): the rows and stored renditions an
    upload and addPhoto leave, written directly as the owner, taken by the institution's
    admin in the child's group."""
    async with owner.connect() as connection:
        children_rows = (
            await connection.execute(
                text(
                    "SELECT DISTINCT ON (c.id) c.id, c.institution_id, c.group_id, a.user_id"
                    " FROM children c JOIN admin_memberships a"
                    " ON a.institution_id = c.institution_id WHERE c.id = ANY(:ids)"
                    " ORDER BY c.id, a.user_id"
                ),
                {"ids": list(children)},
            )
        ).all()
    cleaned = await asyncio.to_thread(
        clean_image, jpeg(640, 480), sizes=files.PURPOSES["photo"].image_sizes
    )
    now = utcnow()
    seeded = SeededPhotos([], [], [])
    stored, photos, tags = [], [], []
    for child_id, institution_id, group_id, author in children_rows:
        for n in range(DAY_PHOTOS):
            photo_id = new_id()
            file_row = await stored_photo(
                storage, cleaned, institution_id, author, f"IMG_{n:04}.jpg", now
            )
            file_id = file_row["id"]
            seeded.keys.extend(v["key"] for v in file_row["variants"].values())
            stored.append(file_row)
            photos.append(
                {
                    "id": photo_id,
                    "institution_id": institution_id,
                    "group_id": group_id,
                    "file_id": file_id,
                    "taken_on": day,
                    "caption": f"Billede {n + 1} af dagen",
                    "created_by": author,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            tags.append(
                {"photo_id": photo_id, "child_id": child_id, "institution_id": institution_id}
            )
            seeded.photo_ids.append(photo_id)
            seeded.file_ids.append(file_id)
    async with owner.begin() as connection:
        await connection.execute(insert(StoredFile), stored)
        await connection.execute(insert(Photo), photos)
        await connection.execute(insert(PhotoChild), tags)
        await connection.execute(text("ANALYZE stored_files, photos, photo_children"))
    return seeded


async def remove_day_photos(
    owner: AsyncEngine, storage: ObjectStorage, seeded: SeededPhotos
) -> None:
    """Take the day's photos away again: the album bench measures a group day of exactly 50."""
    async with owner.begin() as connection:
        await connection.execute(
            text("DELETE FROM photos WHERE id = ANY(:ids)"), {"ids": seeded.photo_ids}
        )
        await connection.execute(
            text("DELETE FROM stored_files WHERE id = ANY(:ids)"), {"ids": seeded.file_ids}
        )
    await files.delete_objects(storage, seeded.keys)


async def run_gallery(
    *,
    http: httpx.AsyncClient,
    post: Post,
    measure: Measure,
    meter: Any,
    owner: AsyncEngine,
    admin_token: str,
    institution_id: str,
    group_children: list[uuid.UUID],
    guardian_email: str,
    password: str,
    requests: int,
) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {admin_token}"}
    # Consent: most of the group says "group", the last five leave the default (own guardians).
    async with owner.begin() as connection:
        links = (
            await connection.execute(
                text(
                    "SELECT child_id, user_id, institution_id FROM guardian_links"
                    " WHERE child_id = ANY(:ids) AND has_custody"
                ),
                {"ids": group_children[:-5]},
            )
        ).all()
        now = utcnow()
        await connection.execute(
            insert(PhotoConsent),
            [
                {
                    "id": new_id(),
                    "institution_id": iid,
                    "child_id": cid,
                    "user_id": uid,
                    "level": "group",
                    "created_at": now,
                    "updated_at": now,
                }
                for cid, uid, iid in links
            ],
        )
    small = jpeg(640, 480)
    group_id = None
    for k in range(ALBUM_PHOTOS):
        response = await http.post(
            "/uploads",
            data={"institution": institution_id, "purpose": "photo"},
            files={"file": ("bench.jpg", small, "image/jpeg")},
            headers=headers,
        )
        response.raise_for_status()
        tagged = [group_children[(k + j) % len(group_children)] for j in range(1 + k % 3)]
        if group_id is None:
            child = await post("Node", {"id": encode("Child", tagged[0])}, admin_token)
            group_id = child["data"]["node"]["group"]["id"]
        await post(
            "AddPhoto",
            {
                "input": {
                    "groupId": group_id,
                    "fileId": response.json()["id"],
                    "childIds": [encode("Child", c) for c in tagged],
                }
            },
            admin_token,
        )
    login = await post("Login", {"email": guardian_email, "password": password})
    guardian_token = login["data"]["login"]["token"]
    results = []

    async def album_floor(_: int) -> None:
        async with owner.connect() as c:
            await c.execute(
                text(
                    "SELECT p.*, f.variants, (SELECT array_agg(pc.child_id)"
                    " FROM photo_children pc WHERE pc.photo_id = p.id) FROM photos p"
                    " JOIN stored_files f ON f.id = p.file_id"
                    " WHERE p.group_id = (SELECT group_id FROM children WHERE id = :c)"
                    " AND p.taken_on = CURRENT_DATE ORDER BY p.id LIMIT 50"
                ),
                {"c": group_children[0]},
            )

    for label, token in (("album staff", admin_token), ("album guard.", guardian_token)):

        async def album(_: int, token: str = token) -> None:
            body = await post("PhotoAlbum", {"groupId": group_id, "first": 50}, token)
            assert body["data"]["photoAlbum"]["photos"]["edges"]

        results.append(await measure(label, requests, album, meter, album_floor))
    big = jpeg(4000, 3000, noise=True)

    async def upload_12mp(_: int) -> None:
        response = await http.post(
            "/uploads",
            data={"institution": institution_id, "purpose": "photo"},
            files={"file": ("IMG_12MP.jpg", big, "image/jpeg")},
            headers=headers,
        )
        assert response.status_code == 201, response.text

    async def reencode_floor(_: int) -> None:
        # The least any server must do: decode once and encode once, no resizing or storage.
        def work() -> None:
            image = Image.open(io.BytesIO(big))
            image.save(io.BytesIO(), format="JPEG", quality=85)

        await asyncio.to_thread(work)

    uploads = max(10, requests // 20)
    results.append(await measure("upload 12MP", uploads, upload_12mp, meter, reencode_floor))
    return results
