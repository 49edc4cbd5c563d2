"""pytest plugin: a real S3 endpoint over HTTP (moto's server) and storage fixtures.

Registered at the root with ``pytest_plugins = ["tests.s3"]``. The server starts once per
session on a free port of 127.0.0.1; each test gets a bucket of its own, so tests never
see each other's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from app.storage import LocalStorage
from app.storage.s3 import S3Storage

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

S3_REGION: Final = "eu-north-1"
S3_ACCESS_KEY_ID = "seddel-test"
S3_SECRET_ACCESS_KEY = "seddel-test-secret"
LOCAL_SECRET_KEY = "test-secret-key"
LOCAL_BASE_URL = "http://testserver"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of moto's S3 server, running in a thread for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> S3Client:
    """A plain boto3 client of the test endpoint, to arrange and inspect buckets."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=S3_REGION,
        aws_access_key_id=S3_ACCESS_KEY_ID,
        aws_secret_access_key=S3_SECRET_ACCESS_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@pytest.fixture
def s3_storage(s3_endpoint: str, s3_client: S3Client) -> Iterator[S3Storage]:
    """An ``S3Storage`` on a fresh bucket, emptied and removed afterwards."""
    bucket = f"seddel-test-{uuid.uuid4().hex[:20]}"
    s3_client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": S3_REGION}
    )
    yield S3Storage(
        bucket,
        endpoint_url=s3_endpoint,
        region=S3_REGION,
        access_key_id=S3_ACCESS_KEY_ID,
        secret_access_key=S3_SECRET_ACCESS_KEY,
    )
    listing = s3_client.list_objects_v2(Bucket=bucket)
    for obj in listing.get("Contents", []):
        s3_client.delete_object(Bucket=bucket, Key=obj["Key"])
    s3_client.delete_bucket(Bucket=bucket)


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    """A ``LocalStorage`` under the test's temporary directory."""
    return LocalStorage(tmp_path / "media", LOCAL_SECRET_KEY, LOCAL_BASE_URL)
