"""The embedded default: files under a local folder (media/), signed download links of our own."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import tempfile
import time
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from urllib.parse import quote, urlencode

from app.storage.base import (
    DEFAULT_CONTENT_TYPE,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    StoredObject,
    check_expires_in,
    validate_content_type,
    validate_key,
    validate_prefix,
)


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

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        path, meta = self._path(key), self._meta_path(key)
        sidecar = json.dumps({"content_type": validate_content_type(content_type)}).encode()
        try:
            self._tmp_root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._tmp_root)  # mode 0600: private files
        except OSError as exc:
            raise StorageError(f"cannot store {key!r}: {exc}") from exc
        size = 0
        try:
            with os.fdopen(fd, "wb") as file:
                async for chunk in chunks:
                    await asyncio.to_thread(file.write, chunk)
                    size += len(chunk)
                file.flush()
                await asyncio.to_thread(os.fsync, file.fileno())
            await asyncio.to_thread(self._place, tmp, path, meta, sidecar)
        except OSError as exc:
            raise StorageError(f"cannot store {key!r}: {exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return size

    def _place(self, tmp: str, path: Path, meta: Path, sidecar: bytes) -> None:
        self._write_atomic(meta, sidecar)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, path)

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

    async def open_stream(
        self, key: str, *, chunk_size: int = 1024 * 1024
    ) -> tuple[str, int, AsyncIterator[bytes]]:
        """The content type, size and bytes (chunk by chunk) of an object, for the download
        route: a large object (an export's ZIP) is sent without being held in memory."""
        path, meta = self._path(key), self._meta_path(key)
        try:
            file = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        size = os.fstat(file.fileno()).st_size
        try:
            content_type = str(json.loads(await asyncio.to_thread(meta.read_bytes))["content_type"])
        except (OSError, ValueError, KeyError):
            content_type = DEFAULT_CONTENT_TYPE

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while data := await asyncio.to_thread(file.read, chunk_size):
                    yield data
            finally:
                file.close()

        return content_type, size, chunks()

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
        # As bytes: compare_digest refuses str with non-ASCII characters, and a link's
        # signature is whatever the caller typed.
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))

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
