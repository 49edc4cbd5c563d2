"""The child's day shows the day's photos beside its entries, through the gallery's consent
rules, and its live subscription tells of a new photo only to whom may see it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.api.ids import decode
from app.daybook.service.live import recheck
from tests.daybook.helpers import JONAS, LIVA, METTE, PERNILLE, yesterday
from tests.gallery.common import add_photo, child, set_consent, solsikken


async def _photos(client, child_id: str, who: str, day=None) -> list[dict[str, Any]]:
    data = await client.gql(
        "ChildDay", {"child": child_id, "date": (day or yesterday()).isoformat()}, as_=who
    )
    photos: list[dict[str, Any]] = data["childDay"]["photos"]
    return photos


async def _photo_of(client, node, children: list[str], caption: str) -> str:
    added = await add_photo(
        client, node, children, takenOn=yesterday().isoformat(), caption=caption
    )
    assert added["__typename"] == "Photo", added
    photo_id: str = added["id"]
    return photo_id


async def test_the_day_shows_its_photos_as_far_as_the_reader_may_see_them(client):
    node = await solsikken(client)
    liva = child(node, LIVA)
    other = next(
        e["node"]
        for e in node["children"]["edges"]
        if e["node"]["group"]["name"] == "Bjørnene" and e["node"]["name"] != LIVA
    )
    alone = await _photo_of(client, node, [liva["id"]], "Liva i sandkassen")
    together = await _photo_of(client, node, [liva["id"], other["id"]], "Liva og en ven")

    # Staff see both; Liva's guardians (also information only) only the one without
    # another family's child, whose consent is "own guardians" by default.
    assert [p["id"] for p in await _photos(client, liva["id"], PERNILLE)] == [alone, together]
    for guardian in (METTE, JONAS):
        mine = await _photos(client, liva["id"], guardian)
        assert [p["id"] for p in mine] == [alone]
        assert mine[0]["caption"] == "Liva i sandkassen" and mine[0]["url"]
    assert await _photos(client, liva["id"], METTE, yesterday() - timedelta(days=1)) == []

    # When the other family allows group sharing, the shared photo reaches Liva's day too.
    for guardian in other["guardians"]:
        answered = await set_consent(client, guardian["email"], other["id"], "GROUP")
        assert answered["__typename"] == "PhotoConsent", answered
    assert [p["id"] for p in await _photos(client, liva["id"], METTE)] == [alone, together]

    # Withdrawn consent hides Liva's photos from her own day at once.
    await set_consent(client, METTE, liva["id"], "NONE")
    assert await _photos(client, liva["id"], METTE) == []


async def test_photos_do_not_add_statements_per_photo_or_day(client, assert_max_queries):
    node = await solsikken(client)
    liva = child(node, LIVA)
    await _photo_of(client, node, [liva["id"]], "én")
    await client.token_for(METTE)
    week = {
        "child": liva["id"],
        "start": (yesterday() - timedelta(days=6)).isoformat(),
        "end": yesterday().isoformat(),
    }
    with assert_max_queries(10) as few:
        day = await _photos(client, liva["id"], METTE)
    assert len(day) == 1
    with assert_max_queries(10) as week_few:
        await client.gql("ChildDays", week, as_=METTE)
    for n in range(4):
        await _photo_of(client, node, [liva["id"]], f"flere {n}")
    with assert_max_queries(few.count):
        day = await _photos(client, liva["id"], METTE)
    assert len(day) == 5
    with assert_max_queries(week_few.count):
        days = (await client.gql("ChildDays", week, as_=METTE))["childDays"]
    assert [len(d["photos"]) for d in days] == [0, 0, 0, 0, 0, 0, 5]


async def test_a_photo_event_is_told_only_to_whom_may_see_it(client, runtime):
    node = await solsikken(client)
    liva = child(node, LIVA)
    other = next(
        e["node"]
        for e in node["children"]["edges"]
        if e["node"]["group"]["name"] == "Bjørnene" and e["node"]["name"] != LIVA
    )
    alone = await _photo_of(client, node, [liva["id"]], "Liva")
    together = await _photo_of(client, node, [liva["id"], other["id"]], "To børn")
    liva_id = decode(liva["id"], "Child", field="child")

    async def told(who: str, photo: str) -> Any:
        return await recheck(
            sessions=runtime.sessions,
            token=await client.token_for(who),
            child_id=liva_id,
            event={"kind": "photo", "id": str(decode(photo, "Photo", field="photo"))},
        )

    seen = await told(METTE, alone)
    assert seen is not None and seen.visible and seen.photo is not None
    assert seen.photo.caption == "Liva"
    hidden = await told(METTE, together)
    assert hidden is not None and not hidden.visible and hidden.photo is None
    staff = await told(PERNILLE, together)
    assert staff is not None and staff.visible
    # Another family cannot follow Liva's day at all: the subscription ends.
    assert await told(other["guardians"][0]["email"], alone) is None
