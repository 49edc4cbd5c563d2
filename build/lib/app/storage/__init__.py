"""Object storage for uploads: one protocol, a local backend (media/) and an S3 backend.

Files are never public. Callers build keys as ``institutions/<uuid>/...`` and hand out
short-lived signed URLs; nothing here knows about tenants or permissions.

- ``base.py``: the protocol, its errors and the key rules both backends obey;
- ``local.py``: ``LocalStorage`` (the embedded default) keeps files under a root directory
  and signs its own download URLs with HMAC; ``app/rest/files.py`` serves them;
- ``s3.py``: ``S3Storage`` talks to any S3-compatible store through boto3 and hands out
  presigned ``GetObject`` URLs, so downloads never pass through the application.

Both backends run their blocking I/O in worker threads (``asyncio.to_thread``).
"""

from __future__ import annotations

from app.config import Settings
from app.storage.base import (
    ObjectNotFound,
    ObjectStorage,
    StorageError,
    StorageUnavailable,
    StoredObject,
    attachment_disposition,
    check_expires_in,
    validate_content_type,
    validate_key,
    validate_prefix,
)
from app.storage.local import LocalStorage

__all__ = [
    "LocalStorage",
    "ObjectNotFound",
    "ObjectStorage",
    "StorageError",
    "StorageUnavailable",
    "StoredObject",
    "attachment_disposition",
    "check_expires_in",
    "create_storage",
    "validate_content_type",
    "validate_key",
    "validate_prefix",
]


def create_storage(settings: Settings) -> ObjectStorage:
    """The storage backend the settings ask for (``SEDDEL_STORAGE``)."""
    if settings.storage_backend == "local":
        return LocalStorage(settings.media_root, settings.secret_key, settings.public_url)
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            raise ValueError("SEDDEL_S3_BUCKET must be set when SEDDEL_STORAGE=s3")
        # Imported here: boto3 loads only when S3 is used.
        from app.storage.s3 import S3Storage

        return S3Storage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    raise ValueError(f"unknown storage backend {settings.storage_backend!r} (local or s3)")
