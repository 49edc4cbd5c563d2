"""Upload tests run against both storage backends: local files and S3 over HTTP (moto)."""

from __future__ import annotations

import dataclasses

import pytest

from app.core.runtime import Runtime


@pytest.fixture(params=["local", "s3"])
def runtime(request: pytest.FixtureRequest, runtime: Runtime) -> Runtime:
    storage = request.getfixturevalue(f"{request.param}_storage")
    return dataclasses.replace(runtime, storage=storage)
