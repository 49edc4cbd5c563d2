"""The S3 backend of object storage (``app/storage.py``): objects in one bucket of any
S3-compatible store, through boto3, with presigned ``GetObject`` URLs for downloads. Blocking
calls run in worker threads (``asyncio.to_thread``)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import AsyncIterable
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.storage import (
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    attachment_disposition,
    check_expires_in,
    validate_content_type,
    validate_key,
    validate_prefix,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

_BOTO_SESSION_LOCK = threading.Lock()
# S3 wants every part of a multipart upload but the last to be at least 5 MiB: what a
# streamed upload holds in memory at most is one part.
PART_SIZE = 8 * 1024 * 1024


@functools.cache
def _boto_session() -> boto3.session.Session:
    # One shared session: each new one loads the S3 service model again (~70 ms).
    return boto3.session.Session()


def _is_not_found(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error.get("Code") in {"NoSuchKey", "NotFound", "404"} or status == 404


class S3Storage:
    """Objects in one S3 bucket (AWS, MinIO, Ceph, moto...).

    Objects are written without an ACL, so they stay as private as the bucket (new AWS
    buckets block public access); reads by anyone but the app go through presigned URLs.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "eu-north-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        config = Config(
            signature_version="s3v4",
            # Path-style for custom endpoints: MinIO and moto have no per-bucket DNS names.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
            # Calls run in the default thread pool; let each thread have a connection.
            max_pool_connections=32,
        )
        # Without explicit keys boto3 falls back to its chain (env, IAM role...). Clients
        # are thread-safe, sessions are not: only client creation needs the lock.
        with _BOTO_SESSION_LOCK:
            self._client: S3Client = _boto_session().client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=config,
            )

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        validate_key(key)
        validate_content_type(content_type)
        try:
            await asyncio.to_thread(
                self._client.put_object,
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot store {key!r}: {exc}") from exc

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        """A multipart upload, one part per 8 MiB gathered; aborted if anything fails, so
        no part is left behind (and billed)."""
        validate_key(key)
        validate_content_type(content_type)
        client = self._client
        try:
            created = await asyncio.to_thread(
                client.create_multipart_upload,
                Bucket=self.bucket,
                Key=key,
                ContentType=content_type,
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot store {key!r}: {exc}") from exc
        upload_id = created["UploadId"]
        parts: list[dict[str, object]] = []
        buffer = bytearray()
        size = 0

        async def send(data: bytes) -> None:
            number = len(parts) + 1
            answer = await asyncio.to_thread(
                client.upload_part,
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
            )
            parts.append({"ETag": answer["ETag"], "PartNumber": number})

        try:
            async for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                while len(buffer) >= PART_SIZE:
                    await send(bytes(buffer[:PART_SIZE]))
                    del buffer[:PART_SIZE]
            if buffer or not parts:
                await send(bytes(buffer))
            await asyncio.to_thread(
                client.complete_multipart_upload,
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
            )
        except BaseException as exc:
            with contextlib.suppress(BotoCoreError, ClientError):
                await asyncio.to_thread(
                    client.abort_multipart_upload,
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                )
            if isinstance(exc, BotoCoreError | ClientError):
                raise StorageError(f"cannot store {key!r}: {exc}") from exc
            raise
        return size

    async def get(self, key: str) -> bytes:
        validate_key(key)
        return await asyncio.to_thread(self._get_sync, key)

    def _get_sync(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
            return response["Body"].read()
        except ClientError as exc:
            if _is_not_found(exc):
                raise ObjectNotFound(key) from None
            raise StorageError(f"cannot read {key!r}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot read {key!r}: {exc}") from exc

    async def delete(self, key: str) -> None:
        validate_key(key)
        try:
            # DeleteObject succeeds for missing keys, which makes this idempotent.
            await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot delete {key!r}: {exc}") from exc

    async def delete_prefix(self, prefix: str) -> int:
        validate_prefix(prefix)
        try:
            return await asyncio.to_thread(self._delete_prefix_sync, prefix)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot delete under {prefix!r}: {exc}") from exc

    def _delete_prefix_sync(self, prefix: str) -> int:
        deleted = 0
        paginator = self._client.get_paginator("list_objects_v2")
        # A listing page holds at most 1000 keys, which is also DeleteObjects' limit.
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [obj["Key"] for obj in page.get("Contents", []) if "Key" in obj]
            if not keys:
                continue
            response = self._client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True},
            )
            if errors := response.get("Errors"):
                raise StorageError(f"cannot delete {len(errors)} objects under {prefix!r}")
            deleted += len(keys)
        return deleted

    async def exists(self, key: str) -> bool:
        validate_key(key)
        return await asyncio.to_thread(self._exists_sync, key)

    def _exists_sync(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_not_found(exc):
                return False
            raise StorageError(f"cannot check {key!r}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot check {key!r}: {exc}") from exc
        return True

    async def signed_url(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        validate_key(key)
        check_expires_in(expires_in)
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentDisposition": attachment_disposition(filename),
            "ResponseCacheControl": "private, no-store",
        }
        # Presigning is local computation, but the first call may fetch credentials
        # (instance metadata), which blocks.
        return await asyncio.to_thread(
            self._client.generate_presigned_url,
            "get_object",
            Params=params,
            ExpiresIn=expires_in,
        )

    async def ping(self) -> None:
        try:
            await asyncio.to_thread(self._client.head_bucket, Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"bucket {self.bucket!r} unreachable: {exc}") from exc
