"""Migrations as the owner, then the grants that let the application role in (PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from app.config import Settings
from app.db import create_engine

ROOT = Path(__file__).resolve().parents[2]
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def alembic_config(database_url: str) -> Config:
    config = Config(toml_file=str(ROOT / "pyproject.toml"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def migrate(settings: Settings) -> None:
    """Bring the schema to the newest revision; safe to run again."""
    url = settings.owner_database_url
    if url.startswith("sqlite"):
        _sqlite_folder(url)
    command.upgrade(alembic_config(url), "head")
    if url.startswith("postgresql"):
        asyncio.run(grant_app_role(url, settings.database_app_role))


def _sqlite_folder(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


async def grant_app_role(owner_url: str, role: str) -> None:
    """The app role owns nothing, is no superuser and cannot bypass RLS; it may only read
    and write rows. Created here if the owner may create roles; an operator gives it a login."""
    if not ROLE_NAME.match(role):
        raise ValueError(f"unsafe role name: {role!r}")
    engine = create_engine(owner_url)
    async with engine.begin() as connection:
        exists = await connection.scalar(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
        )
        if not exists:
            await connection.execute(text(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS"))
        await connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        await connection.execute(
            text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        )
        await connection.execute(text(f"REVOKE ALL ON alembic_version FROM {role}"))
        await connection.execute(text(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}"))
    await engine.dispose()
