"""The ``storage`` fixture: every backend, so one suite holds them all to one contract."""

from __future__ import annotations

import pytest

from app.storage import ObjectStorage


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest) -> ObjectStorage:
    # Looked up lazily, so a run of only the local cases never starts the S3 server.
    backend: ObjectStorage = request.getfixturevalue(f"{request.param}_storage")
    return backend
