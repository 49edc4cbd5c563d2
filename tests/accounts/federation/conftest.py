"""The test OIDC provider (one per session, reset per test) and a Seddel provider row for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.federation import service as federation
from app.accounts.federation.service.metadata import PROVIDER_METADATA
from app.db import write_transaction
from app.institutions.models import Municipality
from tests.accounts.federation.provider import CLIENT_ID, CLIENT_SECRET, TestProvider

SECRET_ENV = "SEDDEL_TEST_OIDC_SECRET"


@pytest.fixture(scope="session")
def oidc_server() -> Iterator[TestProvider]:
    server = TestProvider()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def oidc(oidc_server: TestProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestProvider]:
    """The provider with fresh keys and knobs, and Seddel's cache of it emptied."""
    oidc_server.reset()
    PROVIDER_METADATA.clear()
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    yield oidc_server
    PROVIDER_METADATA.clear()


async def add_provider(db: Any, issuer: str, **options: Any) -> Any:
    async with write_transaction(db):
        municipality = await db.scalar(select(Municipality.id).limit(1))
        return await federation.register_provider(
            db=db,
            municipality_id=municipality,
            slug=options.pop("slug", "test-idp"),
            display_name="Test IdP",
            issuer=issuer,
            client_id=CLIENT_ID,
            client_secret_env=SECRET_ENV,
            allow_insecure_issuer=True,
            **options,
        )
