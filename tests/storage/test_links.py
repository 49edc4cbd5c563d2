"""A download link is handed out again while at least half of its lifetime is left, never
past it, and the cache of links stays bounded (app/storage/links.py)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

from app.storage import LocalStorage
from app.storage.links import ReusedLinks, reused_links


class CountingStorage:
    """Signs links that say when they were made; counts how often it was asked."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.signed = 0

    async def signed_url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        self.signed += 1
        return f"https://files/{key}?name={filename}&until={self.clock() + expires_in}"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _links(max_links: int = 100) -> tuple[ReusedLinks, CountingStorage, Clock]:
    clock = Clock()
    storage = CountingStorage(clock)
    return ReusedLinks(storage, max_links=max_links, clock=clock), storage, clock  # type: ignore[arg-type]


async def test_a_link_is_handed_out_again_while_half_its_life_is_left() -> None:
    links, storage, clock = _links()

    first = await links.signed_url("a.jpg", expires_in=300, filename="a.jpg")
    clock.now += 149
    again = await links.signed_url("a.jpg", expires_in=300, filename="a.jpg")
    clock.now += 2  # now less than half of the 300 s is left (the second the backend rounds off)
    fresh = await links.signed_url("a.jpg", expires_in=300, filename="a.jpg")

    assert again == first
    assert fresh != first
    assert storage.signed == 2


async def test_another_object_name_or_lifetime_gets_its_own_link() -> None:
    links, storage, _ = _links()

    base = await links.signed_url("a.jpg", expires_in=300, filename="a.jpg")
    others = {
        await links.signed_url("b.jpg", expires_in=300, filename="a.jpg"),
        await links.signed_url("a.jpg", expires_in=300, filename="b.jpg"),
        await links.signed_url("a.jpg", expires_in=300, filename=None),
        await links.signed_url("a.jpg", expires_in=600, filename="a.jpg"),
    }

    assert base not in others and len(others) == 4
    assert storage.signed == 5


async def test_the_links_kept_are_bounded_and_the_least_recently_handed_out_go_first() -> None:
    links, storage, _ = _links(max_links=3)

    for name in ("a", "b", "c"):
        await links.signed_url(name, expires_in=300)
    await links.signed_url("a", expires_in=300)  # a is handed out again: b is now the oldest
    await links.signed_url("d", expires_in=300)
    assert len(links) == 3
    assert storage.signed == 4

    await links.signed_url("a", expires_in=300)  # still kept
    assert storage.signed == 4
    await links.signed_url("b", expires_in=300)  # dropped: signed again
    assert storage.signed == 5


async def test_a_reused_local_link_still_verifies_for_half_its_life(
    local_storage: LocalStorage,
) -> None:
    links = reused_links(local_storage)
    key = f"institutions/{uuid.uuid4()}/a.jpg"

    first = await links.signed_url(key, expires_in=300, filename="a.jpg")
    again = await links.signed_url(key, expires_in=300, filename="a.jpg")

    assert again == first
    assert reused_links(local_storage) is links  # one cache per storage
    query = {name: values[0] for name, values in parse_qs(urlsplit(again).query).items()}
    expires = int(query["expires"])
    assert local_storage.verify_signature(key, expires, query["signature"], "a.jpg")
    # Whenever it is handed out again, at least half of its 300 s are left; never more than all.
    assert links._links[(key, "a.jpg", 300)][1] <= expires
    assert expires - links._links[(key, "a.jpg", 300)][1] <= 1
