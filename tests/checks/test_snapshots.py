"""The committed schema snapshots and the migrations agree with the code."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.cli import render_schemas
from app.db import Base, create_engine
from app.root.models import load_all_models, managed_by_migrations

ROOT = Path(__file__).resolve().parents[2]


def test_graphql_and_openapi_snapshots_are_up_to_date():
    graphql_text, openapi_text = render_schemas()
    assert (ROOT / "graphql" / "schema.graphql").read_text() == graphql_text, "run `make schema`"
    assert (ROOT / "openapi" / "openapi.json").read_text() == openapi_text, "run `make schema`"


def test_graphql_folder_holds_no_python():
    assert not list((ROOT / "graphql").rglob("*.py"))


async def test_models_and_migrations_agree(settings):
    load_all_models()
    engine = create_engine(settings.owner_database_url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(
                    sync, opts={"compare_type": True, "include_name": managed_by_migrations}
                ),
                Base.metadata,
            )
        )
    await engine.dispose()
    assert diff == [], f"models differ from migrations: {diff}"
