"""`seddel oidc-provider add | list | remove`: an operator configures a municipality's identity
providers (app.accounts.federation.service.providers), as the database's owner, as
`seddel bootstrap` does. `add` is idempotent: run again, it changes only what differs and says
what; `remove` deactivates (identities kept) unless told to purge."""

from __future__ import annotations

import os

from sqlalchemy import select

from app.accounts.federation.service import providers
from app.config import Settings
from app.core.errors import NotFound
from app.db import create_engine, session_factory, write_transaction
from app.institutions.models import Municipality


async def add_provider(
    settings: Settings,
    *,
    municipality: str,
    slug: str,
    wanted: providers.ProviderSettings,
    allow_insecure_issuer: bool = False,
) -> list[str]:
    """Make or bring up to date the provider `slug` of the municipality named; what was done,
    one line each."""
    engine = create_engine(settings.owner_database_url)
    try:
        async with session_factory(engine)() as db, write_transaction(db):
            municipality_id = await db.scalar(
                select(Municipality.id).where(Municipality.name == municipality.strip())
            )
            if municipality_id is None:
                raise NotFound(field="municipality")
            _, changed = await providers.ensure_provider(
                db=db,
                municipality_id=municipality_id,
                slug=slug,
                wanted=wanted,
                allow_insecure_issuer=allow_insecure_issuer,
            )
    finally:
        await engine.dispose()
    if changed == ["created"]:
        done = [f"created provider {slug!r} of {municipality.strip()!r}"]
    elif changed:
        done = [f"updated provider {slug!r}: {', '.join(changed)}"]
    else:
        done = [f"provider {slug!r} exists, unchanged"]
    if wanted.client_secret_env and not os.environ.get(wanted.client_secret_env):
        done.append(f"note: {wanted.client_secret_env} is not set in this environment")
    return done


async def list_providers(settings: Settings) -> list[str]:
    """One line per provider: slug, state, municipality, issuer, client, secret's variable,
    whether its verified e-mail links and whether its login counts as the second factor."""
    engine = create_engine(settings.owner_database_url)
    try:
        async with session_factory(engine)() as db:
            found = await db.execute(select(Municipality.id, Municipality.name))
            names = {row.id: row.name for row in found}
            return [
                "\t".join(
                    (
                        row.slug,
                        "active" if row.is_active else "inactive",
                        names.get(row.municipality_id, "?"),
                        row.issuer,
                        row.client_id,
                        row.client_secret_env or "-",
                        "trusts e-mail" if row.trusts_email else "-",
                        "second factor" if row.counts_as_second_factor else "-",
                    )
                )
                for row in await providers.providers(db)
            ]
    finally:
        await engine.dispose()


async def remove_provider(settings: Settings, slug: str, *, purge: bool = False) -> str:
    engine = create_engine(settings.owner_database_url)
    try:
        async with session_factory(engine)() as db, write_transaction(db):
            outcome = await providers.remove_provider(db, slug, purge=purge)
    finally:
        await engine.dispose()
    return {
        "deactivated": f"provider {slug!r} deactivated: no logins; its identities are kept",
        "deleted": f"provider {slug!r} deleted with its identities",
        "absent": f"no active provider {slug!r}: nothing to do",
    }[outcome]
