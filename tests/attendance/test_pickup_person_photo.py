"""A pickup person's optional photo: set from an upload, seen by whoever sees the person,
its objects gone from storage when replaced, removed or when the person is removed."""

from __future__ import annotations

import pytest

from app.api.ids import decode
from app.core.runtime import Runtime
from app.db import scope
from app.files.models import StoredFile
from app.storage import ObjectNotFound
from tests.attendance.plan_helpers import (
    JONAS,
    LARS,
    METTE,
    PERNILLE,
    REGNBUEN_ADMIN,
    add_pickup_person,
    family,
)
from tests.files import jpeg_bytes, upload
from tests.helpers import SOLSIKKEN_ADMIN


async def _keys(runtime: Runtime, institution: str, file_id: str) -> list[str]:
    async with runtime.sessions() as db:
        scope(db, institution_ids=[decode(institution, "Institution", field="i")], user_id=None)
        row = await db.get(StoredFile, decode(file_id, "File", field="f"))
        assert row is not None
        return [meta["key"] for meta in row.variants.values()]


async def _gone(runtime: Runtime, keys: list[str]) -> None:
    for key in keys:
        with pytest.raises(ObjectNotFound):
            await runtime.storage.get(key)


async def _photo(client, f, as_=METTE, name="inge.jpg"):
    return await upload(client, as_=as_, institution=f["institution"], purpose="pickup_photo", filename=name, data=jpeg_bytes(1600, 1200))


async def _set(client, person, file_id, as_=METTE):
    data = await client.gql("SetPickupPersonPhoto", {"pickupPersonId": person, "fileId": file_id}, as_=as_)
    return data["setPickupPersonPhoto"]


async def test_the_photo_is_set_seen_replaced_and_removed_with_its_objects(client, runtime):
    f = await family(client)
    person = await add_pickup_person(client, f["liva"])
    first = await _photo(client, f)
    first_keys = await _keys(runtime, f["institution"], first["id"])
    made = await _set(client, person, first["id"])
    assert made["photo"]["id"] == first["id"] and made["photo"]["variants"] == ["display", "thumbnail"]
    assert made["photo"]["thumbnail"]
    for viewer in (METTE, JONAS, PERNILLE, SOLSIKKEN_ADMIN):
        listed = (await client.gql("PickupPersonPhotos", {"childId": f["liva"]}, as_=viewer))["pickupPersons"]
        assert listed[0]["photo"]["id"] == first["id"], viewer
    for outsider in (REGNBUEN_ADMIN, LARS, f["friend_parent"]):
        assert (await client.gql("PickupPersonPhotos", {"childId": f["liva"]}, as_=outsider))["pickupPersons"] == []
    # A claimed upload cannot be used twice.
    again = await add_pickup_person(client, f["liva"], name="Morfar")
    assert (await _set(client, again, first["id"]))["code"] == "NOT_FOUND"
    # Staff replace it with one taken at the door: the old objects leave the storage.
    second = await _photo(client, f, as_=PERNILLE, name="door.jpg")
    second_keys = await _keys(runtime, f["institution"], second["id"])
    replaced = await _set(client, person, second["id"], as_=PERNILLE)
    assert replaced["photo"]["id"] == second["id"]
    await _gone(runtime, first_keys)
    assert all([await runtime.storage.get(key) for key in second_keys])
    removed = await _set(client, person, None)
    assert removed["photo"] is None
    await _gone(runtime, second_keys)
    # Removing the person takes the photo along.
    third = await _photo(client, f)
    third_keys = await _keys(runtime, f["institution"], third["id"])
    await _set(client, person, third["id"])
    done = await client.gql("RemovePickupPerson", {"pickupPersonId": person}, as_=METTE)
    assert done["removePickupPerson"]["__typename"] == "AttendanceDone"
    await _gone(runtime, third_keys)


async def test_only_custody_guardians_and_staff_set_photos_from_their_own_uploads(client, runtime):
    f = await family(client)
    person = await add_pickup_person(client, f["liva"])
    mine = await _photo(client, f)
    for outsider in (JONAS, REGNBUEN_ADMIN, LARS, f["friend_parent"]):
        assert (await _set(client, person, mine["id"], as_=outsider))["code"] == "NOT_FOUND", outsider
    # Pernille may set photos, but not with Mette's upload; a photo of another purpose is refused.
    assert (await _set(client, person, mine["id"], as_=PERNILLE))["field"] == "fileId"
    attachment = await upload(client, as_=METTE, institution=f["institution"], purpose="attachment", filename="a.jpg", data=jpeg_bytes())
    assert (await _set(client, person, attachment["id"]))["field"] == "fileId"
    assert (await _set(client, person, "nonsense"))["field"] == "fileId"
    listed = (await client.gql("PickupPersonPhotos", {"childId": f["liva"]}, as_=METTE))["pickupPersons"]
    assert listed[0]["photo"] is None
    # The upload is still unclaimed, so Mette can still use it.
    assert (await _set(client, person, mine["id"]))["photo"]["id"] == mine["id"]


async def test_photos_load_in_bounded_statements(client, runtime, assert_max_queries):
    f = await family(client)
    for name in ("Inge Holm", "Morfar", "Nabo"):
        person = await add_pickup_person(client, f["liva"], name=name)
        await _set(client, person, (await _photo(client, f))["id"])
    await client.token_for(PERNILLE)
    with assert_max_queries(5):
        listed = (await client.gql("PickupPersonPhotos", {"childId": f["liva"]}, as_=PERNILLE))["pickupPersons"]
    assert len(listed) == 3 and all(p["photo"] for p in listed)
