"""A ZIP archive written while it is read: the stdlib's zipfile into an unseekable sink, the
bytes taken out after each entry. Memory stays at about one entry whatever the number of
entries (the photo ZIP of GET /children/{child}/photos.zip and the Art. 15 export).

zipfile (standard library) writes data descriptors after each entry when its target cannot
seek, so no entry's header has to be rewritten; no well-kept library adds to that."""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ZipEntry:
    name: str
    data: bytes
    modified: datetime
    # JPEGs do not compress further; JSON and text do.
    compress: bool = False


class ZipSink:
    """A write-only stream zipfile writes into; what it wrote is taken out piece by piece."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


async def stream_zip_entries(entries: AsyncIterable[ZipEntry]) -> AsyncIterator[bytes]:
    """The archive of `entries`, one chunk per entry (and the central directory last)."""
    sink = ZipSink()
    with zipfile.ZipFile(sink, mode="w") as archive:
        async for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=entry.modified.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED if entry.compress else zipfile.ZIP_STORED
            archive.writestr(info, entry.data)
            if chunk := sink.take():
                yield chunk
    if chunk := sink.take():
        yield chunk
