"""Photos: staff add and tag them; who sees a photo follows every tagged child's consent,
computed at read time."""

from __future__ import annotations

from sqlalchemy import select

from app.api.ids import decode
from app.db import scope
from app.files.models import StoredFile
from tests.gallery.common import (
    JONAS,
    KARSTEN,
    LARS,
    METTE,
    PERNILLE,
    REGNBUEN_ADMIN,
    add_photo,
    child,
    children_of,
    group,
    sees,
    set_consent,
    solsikken,
    upload_photo,
)
from tests.helpers import SOLSIKKEN_ADMIN


def _family(node, group_name: str, index: int) -> tuple[dict, str]:
    """A child of the group other than Liva and not protected, and its first parent."""
    kids = [
        c
        for c in children_of(node, group_name)
        if c["name"] != "Liva Holm-Jensen" and c["guardians"]
    ]
    kid = kids[index]
    return kid, kid["guardians"][0]["email"]


async def _protected(client, node) -> tuple[dict, str]:
    listed = (await client.gql("GroupPhotoConsents", {"groupId": group(node, "Bjørnene")}, as_=PERNILLE))[
        "groupPhotoConsents"
    ]
    name = next(c["child"]["name"] for c in listed if c["isProtected"])
    kid = child(node, name)
    return kid, kid["guardians"][0]["email"]


async def test_staff_add_a_tagged_photo_and_by_default_only_the_childs_guardians_see_it(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    _, other_parent = _family(node, "Bjørnene", 0)
    photo = await add_photo(client, node, [liva["id"]], caption="Sandkassen", takenOn=None)
    assert photo["__typename"] == "Photo", photo
    assert photo["caption"] == "Sandkassen" and photo["takenBy"] == "Pernille Holm"
    assert [c["name"] for c in photo["children"]] == ["Liva Holm-Jensen"]
    assert photo["thumbnail"] and photo["display"] and photo["width"] == 48  # turned upright
    for viewer in (METTE, JONAS, PERNILLE, SOLSIKKEN_ADMIN):
        assert await sees(client, viewer, photo["id"]), viewer
    for outsider in (other_parent, KARSTEN, REGNBUEN_ADMIN, LARS):
        assert not await sees(client, outsider, photo["id"]), outsider


async def test_the_whole_group_sees_a_photo_only_when_every_tagged_child_consents_to_group(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    ella, ella_parent = _family(node, "Bjørnene", 0)
    _, bystander = _family(node, "Bjørnene", 1)
    _, myrerne_parent = _family(node, "Myrerne", 0)
    await set_consent(client, METTE, liva["id"], "GROUP")
    both = await add_photo(client, node, [liva["id"], ella["id"]])
    alone = await add_photo(client, node, [liva["id"]])
    # Ella's consent is "own guardians" (no answer): Ella is not shown to other families,
    # not even beside their own child; Liva alone reaches the group.
    assert await sees(client, ella_parent, both["id"])
    assert not await sees(client, METTE, both["id"])
    assert not await sees(client, bystander, both["id"])
    assert await sees(client, bystander, alone["id"])
    assert not await sees(client, myrerne_parent, alone["id"])
    # Once Ella's parents consent to the group, the group sees both.
    for guardian in ella["guardians"]:
        if guardian["hasCustody"]:
            await set_consent(client, guardian["email"], ella["id"], "GROUP")
    for viewer in (METTE, bystander, ella_parent):
        assert await sees(client, viewer, both["id"]), viewer
    # Mette sees Ella's photo, but Ella's name only as far as she may see children.
    seen = (await client.gql("PhotoNode", {"id": both["id"]}, as_=METTE))["node"]
    assert [c["name"] for c in seen["children"]] == ["Liva Holm-Jensen"]


async def test_a_protected_child_is_never_shown_to_other_families(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    protected, protected_parent = await _protected(client, node)
    _, bystander = _family(node, "Bjørnene", 1)
    await set_consent(client, METTE, liva["id"], "GROUP")
    for guardian in protected["guardians"]:
        if guardian["hasCustody"]:
            await set_consent(client, guardian["email"], protected["id"], "GROUP")
    photo = await add_photo(client, node, [liva["id"], protected["id"]])
    assert await sees(client, protected_parent, photo["id"])
    assert await sees(client, PERNILLE, photo["id"])
    assert not await sees(client, METTE, photo["id"])
    assert not await sees(client, bystander, photo["id"])


async def test_withdrawing_consent_hides_photos_already_shared_at_once(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    _, bystander = _family(node, "Bjørnene", 1)
    await set_consent(client, METTE, liva["id"], "GROUP")
    photo = await add_photo(client, node, [liva["id"]])
    assert await sees(client, bystander, photo["id"])
    await set_consent(client, METTE, liva["id"], "OWN_GUARDIANS")
    assert not await sees(client, bystander, photo["id"])
    assert await sees(client, JONAS, photo["id"])
    await set_consent(client, METTE, liva["id"], "NONE")
    for guardian in (METTE, JONAS, bystander):
        assert not await sees(client, guardian, photo["id"]), guardian
        url = (await client.gql("PhotoDownload", {"id": photo["id"], "variant": "FULL"}, as_=guardian))
        assert url["node"] is None
    assert await sees(client, PERNILLE, photo["id"])
    # Staff see the consent where they look at the photo.
    staff = (await client.gql("PhotoWithConsents", {"id": photo["id"]}, as_=PERNILLE))["node"]
    assert staff["consents"] == [
        {"child": {"id": liva["id"], "name": "Liva Holm-Jensen"}, "effective": "NONE", "isProtected": False}
    ]


async def test_tagging_a_child_without_consent_is_refused_and_nothing_is_written(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    await set_consent(client, METTE, liva["id"], "NONE")
    file_id = await upload_photo(client, node["id"])
    variables = {"input": {"groupId": group(node, "Bjørnene"), "fileId": file_id, "childIds": [liva["id"]]}}
    refused = (await client.gql("AddPhoto", variables, as_=PERNILLE))["addPhoto"]
    assert refused["code"] == "NO_PHOTO_CONSENT" and refused["field"] == "childIds"
    assert "Liva Holm-Jensen" in refused["message"]
    albums = (await client.gql("PhotoAlbums", {"groupId": group(node, "Bjørnene")}, as_=PERNILLE))["photoAlbums"]
    assert albums["edges"] == []
    # The upload was not used up: the same file can still become an untagged photo.
    variables["input"]["childIds"] = []
    assert (await client.gql("AddPhoto", variables, as_=PERNILLE))["addPhoto"]["__typename"] == "Photo"
    # Re-tagging an existing photo is held to the same rule.
    other = await add_photo(client, node, [])
    retag = await client.gql("UpdatePhoto", {"input": {"photoId": other["id"], "childIds": [liva["id"]]}}, as_=PERNILLE)
    assert retag["updatePhoto"]["code"] == "NO_PHOTO_CONSENT"


async def test_bad_input_gives_typed_errors_and_writes_nothing(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    myrerne_kid, _ = _family(node, "Myrerne", 0)
    bjornene = group(node, "Bjørnene")
    file_id = await upload_photo(client, node["id"])
    cases = [
        ({"childIds": [myrerne_kid["id"]]}, "INVALID", "childIds"),
        ({"takenOn": "2999-01-01"}, "INVALID", "takenOn"),
        ({"caption": "x" * 1001}, "INVALID", "caption"),
        ({"fileId": "RmlsZTpub3QtYS11dWlk"}, "NOT_FOUND", "fileId"),
        ({"groupId": group(node, "Myrerne")}, "INVALID", "childIds"),
    ]
    for change, code, field in cases:
        variables = {"input": {"groupId": bjornene, "fileId": file_id, "childIds": [liva["id"]], **change}}
        result = (await client.gql("AddPhoto", variables, as_=SOLSIKKEN_ADMIN if "groupId" in change else PERNILLE))["addPhoto"]
        assert (result.get("code"), result.get("field")) == (code, field), (change, result)
    # Someone else's upload, or one already used, cannot be claimed.
    variables = {"input": {"groupId": bjornene, "fileId": file_id, "childIds": []}}
    assert (await client.gql("AddPhoto", variables, as_=SOLSIKKEN_ADMIN))["addPhoto"]["code"] == "NOT_FOUND"
    assert (await client.gql("AddPhoto", variables, as_=PERNILLE))["addPhoto"]["__typename"] == "Photo"
    assert (await client.gql("AddPhoto", variables, as_=PERNILLE))["addPhoto"]["field"] == "fileId"
    albums = (await client.gql("PhotoAlbums", {"groupId": bjornene}, as_=PERNILLE))["photoAlbums"]
    assert [e["node"]["photoCount"] for e in albums["edges"]] == [1]


async def test_a_child_of_another_institution_is_not_found(client):
    node = await solsikken(client)
    regnbuen = (await client.gql("InstitutionOverview", {"id": node["id"], "first": 1}, as_=REGNBUEN_ADMIN))["node"]
    assert regnbuen is None
    me = (await client.gql("Me", as_=METTE))["me"]
    regnbuen_id = next(m["institution"]["id"] for m in me["institutions"] if m["institution"]["name"] == "Regnbuen")
    other = (await client.gql("InstitutionOverview", {"id": regnbuen_id, "first": 40}, as_=REGNBUEN_ADMIN))["node"]
    oscar = child(other, "Oscar Holm-Jensen")
    file_id = await upload_photo(client, node["id"])
    variables = {"input": {"groupId": group(node, "Bjørnene"), "fileId": file_id, "childIds": [oscar["id"]]}}
    result = (await client.gql("AddPhoto", variables, as_=PERNILLE))["addPhoto"]
    assert (result["code"], result["field"]) == ("NOT_FOUND", "childIds")


async def test_only_staff_of_the_group_and_admins_add_and_delete(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    photo = await add_photo(client, node, [liva["id"]])
    for actor in (KARSTEN, METTE, JONAS, REGNBUEN_ADMIN, LARS):
        deleted = (await client.gql("DeletePhoto", {"photoId": photo["id"]}, as_=actor))["deletePhoto"]
        assert deleted["code"] == "NOT_FOUND", actor
        changed = (await client.gql("UpdatePhoto", {"input": {"photoId": photo["id"], "caption": "x"}}, as_=actor))
        assert changed["updatePhoto"]["code"] == "NOT_FOUND", actor
    file_id = await upload_photo(client, node["id"], as_=KARSTEN)
    variables = {"input": {"groupId": group(node, "Bjørnene"), "fileId": file_id, "childIds": []}}
    assert (await client.gql("AddPhoto", variables, as_=KARSTEN))["addPhoto"]["code"] == "NOT_FOUND"
    updated = (await client.gql("UpdatePhoto", {"input": {"photoId": photo["id"], "caption": "Ny"}}, as_=SOLSIKKEN_ADMIN))
    assert updated["updatePhoto"]["caption"] == "Ny"
    deleted = (await client.gql("DeletePhoto", {"photoId": photo["id"]}, as_=SOLSIKKEN_ADMIN))["deletePhoto"]
    assert deleted["__typename"] == "PhotoDeleted"
    assert not await sees(client, PERNILLE, photo["id"])


async def test_deleting_a_photo_deletes_its_objects(client, runtime, db):
    node = await solsikken(client)
    photo = await add_photo(client, node, [])
    scope(db, institution_ids=[decode(node["id"], "Institution", field="id")], user_id=None)
    async with db:
        keys = [
            meta["key"]
            for row in (await db.scalars(select(StoredFile))).all()
            for meta in row.variants.values()
        ]
    assert len(keys) == 3 and all([await runtime.storage.exists(k) for k in keys])
    await client.gql("DeletePhoto", {"photoId": photo["id"]}, as_=PERNILLE)
    assert not any([await runtime.storage.exists(k) for k in keys])
    async with db:
        assert (await db.scalars(select(StoredFile))).all() == []


async def test_albums_per_group_and_day_for_staff_and_guardians(client, assert_max_queries):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    bjornene = group(node, "Bjørnene")
    await set_consent(client, METTE, liva["id"], "GROUP")
    kids = [c for c in children_of(node, "Bjørnene") if c["name"] != "Liva Holm-Jensen"]
    for index in range(6):
        await add_photo(client, node, [liva["id"]] if index % 2 == 0 else [kids[index]["id"]])
    await add_photo(client, node, [liva["id"]], takenOn="2026-01-05")
    staff = (await client.gql("PhotoAlbums", {"groupId": bjornene}, as_=PERNILLE))["photoAlbums"]
    assert [e["node"]["photoCount"] for e in staff["edges"]] == [6, 1]
    assert staff["edges"][0]["node"]["title"] == "I dag i Bjørnene"
    assert staff["edges"][1]["node"]["title"] == "Bjørnene, 05.01.2026"
    _, bystander = _family(node, "Bjørnene", 0)
    theirs = (await client.gql("PhotoAlbums", {"groupId": bjornene}, as_=bystander))["photoAlbums"]
    assert [e["node"]["photoCount"] for e in theirs["edges"]] == [3, 1]
    page = (await client.gql("PhotoAlbums", {"groupId": bjornene, "first": 1}, as_=METTE))["photoAlbums"]
    assert page["pageInfo"]["hasNextPage"]
    rest = (await client.gql("PhotoAlbums", {"groupId": bjornene, "first": 1, "after": page["pageInfo"]["endCursor"]}, as_=METTE))
    assert [e["node"]["day"] for e in rest["photoAlbums"]["edges"]] == ["2026-01-05"]
    await client.token_for(PERNILLE)
    with assert_max_queries(10):
        today = (await client.gql("PhotoAlbum", {"groupId": bjornene, "first": 50}, as_=PERNILLE))["photoAlbum"]
    assert today["photoCount"] == 6 and len(today["photos"]["edges"]) == 6
    guardian = (await client.gql("PhotoAlbum", {"groupId": bjornene}, as_=bystander))["photoAlbum"]
    assert guardian["photoCount"] == 3
    assert all(e["node"]["children"] == [] for e in guardian["photos"]["edges"])
    stranger = (await client.gql("PhotoAlbum", {"groupId": bjornene}, as_=REGNBUEN_ADMIN))["photoAlbum"]
    assert stranger is None


async def test_child_photos_lists_what_the_guardian_may_see(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    for _ in range(3):
        await add_photo(client, node, [liva["id"]])
    page = (await client.gql("ChildPhotos", {"childId": liva["id"], "first": 2}, as_=METTE))["childPhotos"]
    assert len(page["edges"]) == 2 and page["pageInfo"]["hasNextPage"]
    _, bystander = _family(node, "Bjørnene", 1)
    assert (await client.gql("ChildPhotos", {"childId": liva["id"]}, as_=bystander))["childPhotos"]["edges"] == []


async def test_information_only_guardians_see_and_guardians_without_access_do_not(client):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    photo = await add_photo(client, node, [liva["id"]])
    assert await sees(client, JONAS, photo["id"])  # access "information only"
    link = next(g for g in liva["guardians"] if g["email"] == JONAS)
    done = await client.gql(
        "UpdateGuardianLink", {"input": {"guardianLinkId": link["id"], "access": "NONE"}}, as_=SOLSIKKEN_ADMIN
    )
    assert done["updateGuardianLink"]["__typename"] == "GuardianLink"
    assert not await sees(client, JONAS, photo["id"])
    assert (await client.gql("ChildPhotos", {"childId": liva["id"]}, as_=JONAS))["childPhotos"]["edges"] == []


async def test_album_statements_do_not_grow_with_the_number_of_photos(client, assert_max_queries):
    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    bjornene = group(node, "Bjørnene")
    await set_consent(client, METTE, liva["id"], "GROUP")
    kids = [c for c in children_of(node, "Bjørnene") if c["name"] != "Liva Holm-Jensen"]
    _, bystander = _family(node, "Bjørnene", 0)
    counts = {}
    for total in (1, 8):
        existing = (await client.gql("PhotoAlbum", {"groupId": bjornene}, as_=PERNILLE))["photoAlbum"]["photoCount"]
        for index in range(existing, total):
            await add_photo(client, node, [liva["id"], kids[index % 4]["id"]] if index % 2 else [liva["id"]])
        for who in (PERNILLE, bystander, METTE):
            await client.token_for(who)
            with assert_max_queries(10) as counter:
                album = (await client.gql("PhotoAlbum", {"groupId": bjornene, "first": 50}, as_=who))["photoAlbum"]
            counts[(who, total)] = counter.count
            assert album["photoCount"] >= 1
    for who in (PERNILLE, bystander, METTE):
        assert counts[(who, 1)] == counts[(who, 8)], counts
