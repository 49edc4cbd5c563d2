"""What every object store shares: the protocol, its errors and the rules for keys,
content types, download names and link lifetimes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

DEFAULT_CONTENT_TYPE = "application/octet-stream"
# S3's own limit for key length; enforced for both backends so they accept the same keys.
MAX_KEY_BYTES = 1024
# SigV4 presigned URLs cannot outlive seven days; the local backend shares the bound.
MAX_SIGNED_URL_SECONDS = 7 * 24 * 3600

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# type/subtype with optional parameters; anything else could smuggle text into a header.
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+( *;[\x20-\x7e]*)?")


class StorageError(Exception):
    """The store failed or refused an operation."""


class ObjectNotFound(StorageError, LookupError):
    """No object is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no object stored under {key!r}")
        self.key = key


class StorageUnavailable(StorageError):
    """The store cannot be reached (raised by ``ping``)."""


class ObjectStorage(Protocol):
    """What the application needs from a blob store."""

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing any earlier object."""

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        """Store what ``chunks`` yields under ``key`` without holding it all in memory (a
        file written piece by piece; an S3 multipart upload); return its size in bytes.
        Nothing is stored under ``key`` if the iteration fails."""

    async def get(self, key: str) -> bytes:
        """Return the object's bytes; raise ``ObjectNotFound`` if there is none."""

    async def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix``; return how many."""

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""

    async def signed_url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        """A download URL valid for ``expires_in`` seconds, served as an attachment."""

    async def ping(self) -> None:
        """Return if the store is usable; raise ``StorageUnavailable`` otherwise."""


# -- keys, content types and file names ------------------------------------------------


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key; raise ``ValueError`` otherwise.

    The rules are one set for both backends, so a key that works in development works in
    production: no path tricks (``..``, leading ``/``, backslashes), no empty segments and
    no segments starting with a dot (the local backend keeps its bookkeeping there).
    """
    if not isinstance(key, str) or not key:
        raise ValueError("storage key must be a non-empty string")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ValueError(f"storage key longer than {MAX_KEY_BYTES} bytes")
    if key.startswith("/") or key.endswith("/"):
        raise ValueError(f"storage key must not start or end with '/': {key!r}")
    if "\\" in key or ".." in key or _CONTROL_CHARS.search(key):
        raise ValueError(f"storage key contains a forbidden sequence: {key!r}")
    for segment in key.split("/"):
        if not segment or segment.startswith("."):
            raise ValueError(f"storage key has an empty or hidden segment: {key!r}")
    return key


def validate_prefix(prefix: str) -> str:
    """Like ``validate_key``, but a trailing ``/`` is allowed (and usual)."""
    validate_key(prefix.removesuffix("/"))
    return prefix


def validate_content_type(content_type: str) -> str:
    if not _CONTENT_TYPE.fullmatch(content_type):
        raise ValueError(f"invalid content type: {content_type!r}")
    return content_type


def attachment_disposition(filename: str | None) -> str:
    """A ``Content-Disposition: attachment`` value (RFC 6266) for ``filename``.

    Danish names (``æblekage.jpg``) need RFC 5987's ``filename*``; old clients get an
    ASCII fallback. Attachment, never inline, so a stored HTML or SVG file cannot run
    script in a browser that opens the link.
    """
    if not filename:
        return "attachment"
    name = _CONTROL_CHARS.sub("", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if not name:
        return "attachment"
    fallback = "".join(c if c.isascii() and c not in '"%' else "_" for c in name)
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def check_expires_in(expires_in: int) -> None:
    if not 0 < expires_in <= MAX_SIGNED_URL_SECONDS:
        raise ValueError(f"expires_in must be between 1 and {MAX_SIGNED_URL_SECONDS} seconds")


# -- local files -------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str
