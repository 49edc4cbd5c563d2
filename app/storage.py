"""Object storage for uploads: one protocol, a local backend (media/) and an S3 backend.

Files are never public. Callers build keys as ``institutions/<uuid>/...`` and hand out
short-lived signed URLs; nothing here knows about tenants or permissions.

- ``LocalStorage`` (the embedded default) keeps files under a root directory and signs
  its own download URLs with HMAC; ``app/rest/files.py`` serves them after
  ``verify_signature``.
- ``S3Storage`` (``app/storage_s3.py``) talks to any S3-compatible store through boto3 and
  hands out presigned ``GetObject`` URLs, so downloads never pass through the application.

Both backends run their blocking I/O in worker threads (``asyncio.to_thread``) so a slow
disk or network never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlencode

from app.config import Settings

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


class LocalStorage:
    """Files under ``root``; the content type lives in a JSON sidecar under ``root/.meta``.

    Writes go to a temporary file in ``root/.tmp`` and are moved into place with
    ``os.replace`` (atomic on one filesystem), so a reader never sees half a file.
    Empty directories are left behind on delete: removing them would race with a
    concurrent ``put`` into the same directory, and they cost nothing.
    """

    def __init__(self, root: Path, secret_key: str, base_url: str) -> None:
        self.root = Path(root)
        self._meta_root = self.root / ".meta"
        self._tmp_root = self.root / ".tmp"
        self._base_url = base_url.rstrip("/")
        # A key of its own for URL signatures, so a signature can never be replayed as
        # some other HMAC made with the application's secret.
        self._signing_key = hmac.new(
            secret_key.encode("utf-8"), b"seddel/local-storage/signed-url", hashlib.sha256
        ).digest()

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _meta_path(self, key: str) -> Path:
        return self._meta_root / f"{validate_key(key)}.json"

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        path, meta = self._path(key), self._meta_path(key)
        sidecar = json.dumps({"content_type": validate_content_type(content_type)}).encode()
        try:
            await asyncio.to_thread(self._put_sync, path, meta, data, sidecar)
        except OSError as exc:
            # A full disk, or "a/b" stored as a file when "a/b/c" comes.
            raise StorageError(f"cannot store {key!r}: {exc}") from exc

    def _put_sync(self, path: Path, meta: Path, data: bytes, sidecar: bytes) -> None:
        # The sidecar first: an object is only visible once its content type is known.
        self._write_atomic(meta, sidecar)
        self._write_atomic(path, data)

    def _write_atomic(self, target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        self._tmp_root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._tmp_root)  # mode 0600: private files
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    async def get(self, key: str) -> bytes:
        return (await self.fetch(key)).data

    async def fetch(self, key: str) -> StoredObject:
        """The bytes and the content type given at ``put`` (for the download route)."""
        path, meta = self._path(key), self._meta_path(key)
        return await asyncio.to_thread(self._fetch_sync, key, path, meta)

    def _fetch_sync(self, key: str, path: Path, meta: Path) -> StoredObject:
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        try:
            content_type = str(json.loads(meta.read_bytes())["content_type"])
        except (OSError, ValueError, KeyError):
            content_type = DEFAULT_CONTENT_TYPE
        return StoredObject(data=data, content_type=content_type)

    async def delete(self, key: str) -> None:
        path, meta = self._path(key), self._meta_path(key)
        await asyncio.to_thread(self._delete_sync, path, meta)

    @staticmethod
    def _delete_sync(path: Path, meta: Path) -> None:
        if path.is_file():
            path.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)

    async def delete_prefix(self, prefix: str) -> int:
        validate_prefix(prefix)
        return await asyncio.to_thread(self._delete_prefix_sync, prefix)

    def _delete_prefix_sync(self, prefix: str) -> int:
        # Walk only the deepest directory the prefix names, then match by string prefix,
        # as S3 does ("institutions/ab" also matches "institutions/abc/...").
        base = self.root / prefix.rpartition("/")[0]
        if not base.is_dir():
            return 0
        deleted = 0
        for path in sorted(base.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            if not key.startswith(prefix) or not path.is_file():
                continue
            try:
                validate_key(key)
            except ValueError:
                continue  # bookkeeping (.meta, .tmp) or a stray file: not an object
            self._delete_sync(path, self._meta_path(key))
            deleted += 1
        return deleted

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def signed_url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        validate_key(key)
        check_expires_in(expires_in)
        expires = int(time.time()) + expires_in
        filename = filename or None  # "" would not survive the query string as itself
        params: dict[str, str | int] = {"expires": expires}
        if filename is not None:
            params["filename"] = filename
        params["signature"] = self._sign(key, expires, filename)
        return f"{self._base_url}/files/{quote(key, safe='/')}?{urlencode(params)}"

    def verify_signature(
        self,
        key: str,
        expires: int,
        signature: str,
        filename: str | None = None,
        *,
        now: float | None = None,
    ) -> bool:
        """Whether a download link is genuine and not yet expired."""
        if expires < (time.time() if now is None else now):
            return False
        try:
            expected = self._sign(validate_key(key), expires, filename or None)
        except ValueError:
            return False
        return hmac.compare_digest(expected, signature)

    def _sign(self, key: str, expires: int, filename: str | None) -> str:
        # JSON keeps the three fields apart: no value can be shifted into another.
        message = json.dumps([key, expires, filename]).encode("utf-8")
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()

    async def ping(self) -> None:
        await asyncio.to_thread(self._ping_sync)

    def _ping_sync(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"cannot create media root {self.root}: {exc}") from exc
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"media root {self.root} is not writable")


def create_storage(settings: Settings) -> ObjectStorage:
    """The storage backend the settings ask for (``SEDDEL_STORAGE``)."""
    if settings.storage_backend == "local":
        return LocalStorage(settings.media_root, settings.secret_key, settings.public_url)
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            raise ValueError("SEDDEL_S3_BUCKET must be set when SEDDEL_STORAGE=s3")
        # Imported here: the S3 backend builds on this module, and boto3 loads only when used.
        from app.storage_s3 import S3Storage

        return S3Storage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    raise ValueError(f"unknown storage backend {settings.storage_backend!r} (local or s3)")
