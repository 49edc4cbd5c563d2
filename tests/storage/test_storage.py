"""Object storage: one contract for both backends, then what each backend adds."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.config import Settings
from app.storage import (
    LocalStorage,
    ObjectNotFound,
    ObjectStorage,
    StorageUnavailable,
    attachment_disposition,
    create_storage,
)
from app.storage.base import MAX_SIGNED_URL_SECONDS
from app.storage.s3 import S3Storage
from tests.s3 import LOCAL_SECRET_KEY, S3_ACCESS_KEY_ID, S3_REGION, S3_SECRET_ACCESS_KEY

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

BAD_KEYS = [
    "",
    "/institutions/a/photo.jpg",
    "institutions/a/",
    "institutions/../secrets",
    "institutions/a/..",
    "institutions\\a\\photo.jpg",
    "institutions//a",
    "institutions/./a",
    "institutions/.hidden",
    "institutions/a\nb",
    "institutions/a\x00b",
    "a" * 1025,
]


def new_key(name: str = "photo.jpg") -> str:
    return f"institutions/{uuid.uuid4()}/photos/{name}"


# -- the shared contract ----------------------------------------------------------------


async def test_put_then_get_returns_the_same_bytes(storage: ObjectStorage) -> None:
    key = new_key()
    data = bytes(range(256)) * 4  # every byte value: binary-safe

    await storage.put(key, data, content_type="image/jpeg")

    assert await storage.get(key) == data


async def test_put_replaces_an_existing_object(storage: ObjectStorage) -> None:
    key = new_key()
    await storage.put(key, b"first", content_type="text/plain")

    await storage.put(key, b"second", content_type="text/plain")

    assert await storage.get(key) == b"second"


async def test_empty_objects_are_stored(storage: ObjectStorage) -> None:
    key = new_key("empty.txt")

    await storage.put(key, b"", content_type="text/plain")

    assert await storage.exists(key)
    assert await storage.get(key) == b""


async def test_exists_follows_put_and_delete(storage: ObjectStorage) -> None:
    key = new_key()
    assert not await storage.exists(key)

    await storage.put(key, b"x", content_type="image/png")
    assert await storage.exists(key)

    await storage.delete(key)
    assert not await storage.exists(key)


async def test_delete_is_idempotent(storage: ObjectStorage) -> None:
    key = new_key()
    await storage.put(key, b"x", content_type="image/png")

    await storage.delete(key)
    await storage.delete(key)
    await storage.delete(new_key("never-stored.jpg"))

    assert not await storage.exists(key)


async def test_get_of_a_missing_key_raises_object_not_found(storage: ObjectStorage) -> None:
    key = new_key("missing.jpg")

    with pytest.raises(ObjectNotFound) as raised:
        await storage.get(key)

    assert raised.value.key == key


async def test_get_of_a_deleted_key_raises_object_not_found(storage: ObjectStorage) -> None:
    key = new_key()
    await storage.put(key, b"x", content_type="image/png")
    await storage.delete(key)

    with pytest.raises(ObjectNotFound):
        await storage.get(key)


async def test_delete_prefix_removes_exactly_the_prefixed_objects(
    storage: ObjectStorage,
) -> None:
    gone, kept = f"institutions/{uuid.uuid4()}", f"institutions/{uuid.uuid4()}"
    for key in (f"{gone}/a.jpg", f"{gone}/photos/b.jpg", f"{gone}/photos/thumbs/c.jpg"):
        await storage.put(key, b"x", content_type="image/jpeg")
    await storage.put(f"{kept}/a.jpg", b"keep", content_type="image/jpeg")

    deleted = await storage.delete_prefix(f"{gone}/")

    assert deleted == 3
    assert not await storage.exists(f"{gone}/photos/b.jpg")
    assert await storage.get(f"{kept}/a.jpg") == b"keep"
    assert await storage.delete_prefix(f"{gone}/") == 0


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
async def test_unsafe_keys_are_refused(storage: ObjectStorage, key: str) -> None:
    with pytest.raises(ValueError):
        await storage.put(key, b"x", content_type="text/plain")
    with pytest.raises(ValueError):
        await storage.get(key)
    with pytest.raises(ValueError):
        await storage.exists(key)
    with pytest.raises(ValueError):
        await storage.delete(key)
    with pytest.raises(ValueError):
        await storage.signed_url(key, expires_in=60)


@pytest.mark.parametrize("prefix", ["", "/", "institutions/../", "../"])
async def test_unsafe_prefixes_are_refused(storage: ObjectStorage, prefix: str) -> None:
    with pytest.raises(ValueError):
        await storage.delete_prefix(prefix)


@pytest.mark.parametrize("content_type", ["", "jpeg", "text/html\r\nX-Evil: 1"])
async def test_malformed_content_types_are_refused(
    storage: ObjectStorage, content_type: str
) -> None:
    key = new_key()

    with pytest.raises(ValueError):
        await storage.put(key, b"x", content_type=content_type)

    assert not await storage.exists(key)


@pytest.mark.parametrize("expires_in", [0, -1, MAX_SIGNED_URL_SECONDS + 1])
async def test_signed_url_lifetime_must_be_sensible(
    storage: ObjectStorage, expires_in: int
) -> None:
    with pytest.raises(ValueError):
        await storage.signed_url(new_key(), expires_in=expires_in)


async def test_ping_succeeds_on_a_working_store(storage: ObjectStorage) -> None:
    await storage.ping()


# -- S3 ---------------------------------------------------------------------------------


async def _chunks(count: int, size: int, *, fail_after: int | None = None):
    for number in range(count):
        if fail_after is not None and number == fail_after:
            raise RuntimeError("the producer failed")
        yield bytes([number % 251]) * size


async def test_put_stream_stores_what_the_chunks_yield(storage: ObjectStorage) -> None:
    key = new_key("export.zip")
    # 9 MiB in 1 MiB chunks: two parts of an S3 multipart upload (8 MiB and the rest).
    size = await storage.put_stream(
        key, _chunks(9, 1024 * 1024), content_type="application/zip"
    )
    assert size == 9 * 1024 * 1024
    data = await storage.get(key)
    assert len(data) == size and data[:1] == b"\x00" and data[-1:] == b"\x08"
    small = new_key("small.zip")
    assert await storage.put_stream(small, _chunks(1, 10), content_type="application/zip") == 10
    assert await storage.get(small) == b"\x00" * 10


async def test_a_failed_put_stream_stores_nothing(storage: ObjectStorage) -> None:
    key = new_key("export.zip")
    with pytest.raises(RuntimeError):
        await storage.put_stream(
            key, _chunks(3, 1024, fail_after=2), content_type="application/zip"
        )
    assert not await storage.exists(key)
    if isinstance(storage, LocalStorage):
        assert list((storage.root / ".tmp").iterdir()) == []


async def test_s3_a_failed_put_stream_leaves_no_upload_behind(
    s3_storage: S3Storage, s3_client: S3Client
) -> None:
    with pytest.raises(RuntimeError):
        await s3_storage.put_stream(
            new_key("x.zip"), _chunks(3, 1024, fail_after=1), content_type="application/zip"
        )
    uploads = s3_client.list_multipart_uploads(Bucket=s3_storage.bucket)
    assert uploads.get("Uploads", []) == []


async def test_s3_signed_url_downloads_the_bytes_over_http(s3_storage: S3Storage) -> None:
    key = new_key()
    await s3_storage.put(key, b"\xff\xd8 a photo", content_type="image/jpeg")

    url = await s3_storage.signed_url(key, expires_in=60, filename="Ærø tur.jpg")
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        response = await client.get(url)

    assert response.status_code == 200
    assert response.content == b"\xff\xd8 a photo"
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"] == attachment_disposition("Ærø tur.jpg")
    assert response.headers["cache-control"] == "private, no-store"


async def test_s3_signed_url_is_signed_and_short_lived(s3_storage: S3Storage) -> None:
    # moto serves presigned URLs without checking their signature or expiry, so this
    # asserts what S3 itself enforces: a SigV4 signature and the requested lifetime.
    url = await s3_storage.signed_url(new_key(), expires_in=120)

    query = parse_qs(urlsplit(url).query)

    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["120"]
    assert len(query["X-Amz-Signature"][0]) == 64
    assert query["response-content-disposition"] == ["attachment"]


async def test_s3_objects_are_never_public(s3_storage: S3Storage, s3_client: S3Client) -> None:
    key = new_key()
    await s3_storage.put(key, b"x", content_type="image/jpeg")

    acl = s3_client.get_object_acl(Bucket=s3_storage.bucket, Key=key)

    grantees = {grant.get("Grantee", {}).get("URI") for grant in acl["Grants"]}
    assert not grantees & {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }


async def test_s3_ping_fails_for_a_missing_bucket(s3_endpoint: str) -> None:
    storage = S3Storage(
        f"seddel-missing-{uuid.uuid4().hex[:12]}",
        endpoint_url=s3_endpoint,
        region=S3_REGION,
        access_key_id=S3_ACCESS_KEY_ID,
        secret_access_key=S3_SECRET_ACCESS_KEY,
    )

    with pytest.raises(StorageUnavailable):
        await storage.ping()


# -- local files ------------------------------------------------------------------------


async def _signed_parts(storage: LocalStorage, key: str, **kwargs: str) -> dict[str, str]:
    url = await storage.signed_url(key, expires_in=300, **kwargs)
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return {"url": url, "path": parts.path, **query}


async def test_local_signed_url_points_at_the_download_route(
    local_storage: LocalStorage,
) -> None:
    key = new_key("Ærø tur.jpg")

    parts = await _signed_parts(local_storage, key, filename="Ærø tur.jpg")

    assert parts["url"].startswith("http://testserver/files/institutions/")
    assert parts["path"] == f"/files/{key.replace('Ærø tur', '%C3%86r%C3%B8%20tur')}"
    assert parts["filename"] == "Ærø tur.jpg"
    assert local_storage.verify_signature(
        key, int(parts["expires"]), parts["signature"], parts["filename"]
    )


async def test_local_signature_rejects_tampering(local_storage: LocalStorage) -> None:
    key = new_key()
    parts = await _signed_parts(local_storage, key, filename="a.jpg")
    expires, signature = int(parts["expires"]), parts["signature"]
    verify = local_storage.verify_signature

    assert verify(key, expires, signature, "a.jpg")
    assert not verify(new_key(), expires, signature, "a.jpg")  # another object
    assert not verify(key, expires + 3600, signature, "a.jpg")  # a longer life
    assert not verify(key, expires, signature, "b.html")  # another name
    assert not verify(key, expires, signature, None)
    assert not verify(key, expires, signature[:-1] + ("0" if signature[-1] != "0" else "1"))
    assert not verify(key, expires, "", "a.jpg")
    assert not verify("../etc/passwd", expires, signature, "a.jpg")
    assert not verify(key, expires, "\x833ã \x88|È®Éû¢V", "a.jpg")  # not even hex (was a 500)


async def test_local_signature_expires(local_storage: LocalStorage) -> None:
    key = new_key()
    parts = await _signed_parts(local_storage, key)
    expires, signature = int(parts["expires"]), parts["signature"]

    assert local_storage.verify_signature(key, expires, signature, now=expires)
    assert not local_storage.verify_signature(key, expires, signature, now=expires + 1)


async def test_local_signature_depends_on_the_secret(local_storage: LocalStorage) -> None:
    key = new_key()
    parts = await _signed_parts(local_storage, key)
    other = LocalStorage(local_storage.root, "another-secret", "http://testserver")

    assert not other.verify_signature(key, int(parts["expires"]), parts["signature"])


async def test_local_storage_keeps_the_content_type(local_storage: LocalStorage) -> None:
    key = new_key("note.pdf")
    await local_storage.put(key, b"%PDF", content_type="application/pdf")

    stored = await local_storage.fetch(key)

    assert (stored.data, stored.content_type) == (b"%PDF", "application/pdf")


async def test_local_storage_leaves_no_temporary_files(local_storage: LocalStorage) -> None:
    for i in range(3):
        await local_storage.put(new_key(f"{i}.jpg"), b"x" * 1000, content_type="image/jpeg")

    assert list((local_storage.root / ".tmp").iterdir()) == []


async def test_local_ping_fails_when_the_root_is_unusable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_bytes(b"")
    storage = LocalStorage(blocker / "media", LOCAL_SECRET_KEY, "http://testserver")

    with pytest.raises(StorageUnavailable):
        await storage.ping()


# -- helpers and wiring -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (None, "attachment"),
        ("", "attachment"),
        ("report.pdf", 'attachment; filename="report.pdf"'),
        ("../../evil.html", 'attachment; filename="evil.html"'),
        (
            'say "hi".txt',
            "attachment; filename=\"say _hi_.txt\"; filename*=UTF-8''say%20%22hi%22.txt",
        ),
        (
            "æblekage.jpg",
            "attachment; filename=\"_blekage.jpg\"; filename*=UTF-8''%C3%A6blekage.jpg",
        ),
    ],
)
def test_attachment_disposition(filename: str | None, expected: str) -> None:
    assert attachment_disposition(filename) == expected


def test_create_storage_follows_the_settings(tmp_path: Path) -> None:
    local = create_storage(Settings(storage_backend="local", media_root=tmp_path))
    s3 = create_storage(
        Settings(storage_backend="s3", s3_bucket="b", s3_endpoint_url="http://127.0.0.1:9")
    )

    assert isinstance(local, LocalStorage)
    assert local.root == tmp_path
    assert isinstance(s3, S3Storage)
    assert s3.bucket == "b"
    with pytest.raises(ValueError):
        create_storage(Settings(storage_backend="s3"))
    with pytest.raises(ValueError):
        create_storage(Settings(storage_backend="ftp"))
