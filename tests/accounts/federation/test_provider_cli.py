"""`seddel oidc-provider add | list | remove`, run in-process (app.cli.main) against a new SQLite
database: idempotent, says what it did, refuses clearly."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

import app.server  # noqa: F401  every slice's models, for create_all
from app import cli
from app.accounts.federation.models import FederatedIdentity, OidcProvider
from app.accounts.models import User
from app.config import get_settings
from app.db import Base, create_engine, session_factory
from app.institutions.models import Municipality

ISSUER = "https://login.vejle.example"


async def _fresh(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with session_factory(engine)() as db:
        db.add(Municipality(name="Vejle Kommune"))
        await db.commit()
    await engine.dispose()


async def _rows(url: str) -> tuple[list[tuple[object, ...]], int]:
    """(scopes, trusts e-mail, display name, active) of each provider; how many identities."""
    engine = create_engine(url)
    async with session_factory(engine)() as db:
        providers = (
            await db.execute(
                select(
                    OidcProvider.scopes,
                    OidcProvider.trusts_email,
                    OidcProvider.display_name,
                    OidcProvider.is_active,
                )
            )
        ).all()
        identities = len((await db.scalars(select(FederatedIdentity.id))).all())
    await engine.dispose()
    return [tuple(row) for row in providers], identities


async def _link(url: str) -> None:
    """A person linked at the provider, as an accepted invitation would link them."""
    engine = create_engine(url)
    async with session_factory(engine)() as db:
        user = User(name="Mette", email="m@example.com", email_key="m@example.com")
        db.add(user)
        await db.flush()
        provider = await db.scalar(select(OidcProvider))
        assert provider is not None
        db.add(
            FederatedIdentity(
                provider_id=provider.id, subject="m-1", user_id=user.id, linked_by="invitation"
            )
        )
        await db.commit()
    await engine.dispose()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'providers.sqlite3'}"
    asyncio.run(_fresh(url))
    monkeypatch.setenv("SEDDEL_DATABASE_URL", url)
    monkeypatch.delenv("SEDDEL_MIGRATION_DATABASE_URL", raising=False)
    monkeypatch.delenv("SEDDEL_VEJLE_SECRET", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _add(*more: str) -> list[str]:
    return [
        "oidc-provider",
        "add",
        "--municipality",
        "Vejle Kommune",
        "--slug",
        "vejle-entra",
        "--name",
        "Vejle Entra ID",
        "--issuer",
        ISSUER,
        "--client-id",
        "seddel",
        "--client-secret-env",
        "SEDDEL_VEJLE_SECRET",
        *more,
    ]


def test_add_is_idempotent_and_says_what_changed(database, capsys):
    cli.main(_add())
    out = capsys.readouterr().out
    assert "created provider 'vejle-entra' of 'Vejle Kommune'" in out
    assert "SEDDEL_VEJLE_SECRET is not set" in out  # told, not refused: set it before serving
    cli.main(_add())
    assert "provider 'vejle-entra' exists, unchanged" in capsys.readouterr().out
    cli.main(_add("--scopes", "openid email profile", "--trusts-email"))
    assert "updated provider 'vejle-entra': scopes, trusts_email" in capsys.readouterr().out
    assert asyncio.run(_rows(database)) == (
        [("openid email profile", True, "Vejle Entra ID", True)],
        0,
    )
    cli.main(["oidc-provider", "list"])
    listed = capsys.readouterr().out.splitlines()
    assert listed == [
        "\t".join(
            (
                "vejle-entra",
                "active",
                "Vejle Kommune",
                ISSUER,
                "seddel",
                "SEDDEL_VEJLE_SECRET",
                "trusts e-mail",
                "-",
            )
        )
    ]


async def _counts(url: str) -> list[bool]:
    engine = create_engine(url)
    async with session_factory(engine)() as db:
        found = (await db.scalars(select(OidcProvider.counts_as_second_factor))).all()
    await engine.dispose()
    return list(found)


def test_a_provider_counts_as_the_second_factor_only_when_told(database, capsys):
    cli.main(_add())
    capsys.readouterr()
    assert asyncio.run(_counts(database)) == [False]  # secure by default
    cli.main(_add("--counts-as-second-factor"))
    assert "updated provider 'vejle-entra': counts_as_second_factor" in capsys.readouterr().out
    cli.main(_add("--counts-as-second-factor"))
    assert "provider 'vejle-entra' exists, unchanged" in capsys.readouterr().out
    assert asyncio.run(_counts(database)) == [True]
    cli.main(["oidc-provider", "list"])
    assert capsys.readouterr().out.rstrip("\n").split("\t")[-2:] == ["-", "second factor"]
    # The command states the whole configuration, as --trusts-email does: left out is off.
    cli.main(_add("--no-counts-as-second-factor"))
    assert "updated provider 'vejle-entra': counts_as_second_factor" in capsys.readouterr().out
    cli.main(_add())
    assert "provider 'vejle-entra' exists, unchanged" in capsys.readouterr().out
    assert asyncio.run(_counts(database)) == [False]


def test_remove_deactivates_keeping_identities_and_add_brings_it_back(database, capsys):
    cli.main(_add())
    asyncio.run(_link(database))
    cli.main(["oidc-provider", "remove", "--slug", "vejle-entra"])
    assert "deactivated" in capsys.readouterr().out
    cli.main(["oidc-provider", "remove", "--slug", "vejle-entra"])
    assert "nothing to do" in capsys.readouterr().out
    assert asyncio.run(_rows(database)) == ([("openid email", False, "Vejle Entra ID", False)], 1)
    cli.main(_add())
    assert "updated provider 'vejle-entra': is_active" in capsys.readouterr().out
    cli.main(["oidc-provider", "remove", "--slug", "vejle-entra", "--purge"])
    assert "deleted with its identities" in capsys.readouterr().out
    assert asyncio.run(_rows(database)) == ([], 0)
    cli.main(["oidc-provider", "list"])
    assert capsys.readouterr().out == "no providers\n"


def test_bad_input_is_refused_clearly_and_changes_nothing(database, capsys):
    refusals = [
        (["--issuer", "http://login.vejle.example"], "issuer The issuer must be an https address."),
        (["--subject-claim", "cpr"], "subjectClaim A CPR number may not be used or stored."),
        (["--scopes", "email"], "scopes The scopes must include openid."),
    ]
    for more, why in refusals:
        with pytest.raises(SystemExit) as refused:
            cli.main(_add(*more))
        assert str(refused.value) == f"oidc-provider refused: {why}"
    with pytest.raises(SystemExit) as unknown:
        cli.main([*_add()[:3], "Ingen Kommune", *_add()[4:]])
    assert str(unknown.value).startswith("oidc-provider refused: municipality")
    assert asyncio.run(_rows(database)) == ([], 0)
