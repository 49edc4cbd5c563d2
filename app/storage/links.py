"""Download links handed out again while they still have most of their life.

Every answer that shows a photo or an attachment carries a signed link, and each answer used
to sign its links afresh: a child's day with twelve photos signed twelve links per request
(an HMAC and a URL-encoding each on the local backend; on S3 a boto3 presign each, run in a
worker thread), and every refresh gave the app new URLs, so its image cache never hit.

`reused_links(storage).signed_url(...)` keeps each link it signs, per object, download name
and lifetime, and hands the same link out again while at least half of its lifetime is left.
So a link handed out lives between half and all of the configured lifetime, never longer: a
leaked link is no more useful than before. Who gets a link is still decided per request, by
the visibility rules that chose the rows; the link itself names one object and no person, so
two people allowed to see the same photo may get the same link, as they could have got the
same object by two links.

The cache is per storage object (held weakly, so a test's storage goes with it) and bounded:
past `MAX_LINKS` the least recently handed out link is dropped."""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Callable

from app.storage.base import ObjectStorage

# ~400 bytes a link: a few MB at most, for one day's photos of many institutions.
MAX_LINKS = 20_000

_LinkKey = tuple[str, str | None, int]


class ReusedLinks:
    def __init__(
        self,
        storage: ObjectStorage,
        *,
        max_links: int = MAX_LINKS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.max_links = max_links
        self.clock = clock
        # (key, filename, lifetime) -> (link, when it expires); oldest hand-out first.
        self._links: OrderedDict[_LinkKey, tuple[str, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._links)

    async def signed_url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        """A link to `key` that is valid for at least half of `expires_in` seconds and at most
        all of it (see the module)."""
        wanted = (key, filename, expires_in)
        now = self.clock()
        kept = self._links.get(wanted)
        if kept is not None and kept[1] - now >= expires_in / 2:
            self._links.move_to_end(wanted)
            return kept[0]
        # The backend counts the lifetime from a moment no earlier than `now` (the local one
        # rounds it down to a whole second: hence the second less).
        link = await self.storage.signed_url(key, expires_in=expires_in, filename=filename)
        self._links[wanted] = (link, now - 1 + expires_in)
        self._links.move_to_end(wanted)
        if len(self._links) > self.max_links:
            self._links.popitem(last=False)
        return link


_BY_STORAGE: weakref.WeakKeyDictionary[ObjectStorage, ReusedLinks] = weakref.WeakKeyDictionary()


def reused_links(storage: ObjectStorage) -> ReusedLinks:
    """The one link cache of this storage."""
    links = _BY_STORAGE.get(storage)
    if links is None:
        links = _BY_STORAGE[storage] = ReusedLinks(storage)
    return links
