"""`seddel bootstrap`: from an empty (migrated) database to an institution whose first admin
is invited by e-mail, without the demo. Safe to run again: what exists is kept and said."""

from __future__ import annotations

from app.config import Settings
from app.db import create_engine, session_factory
from app.institutions.service.setup import BootstrapReport, bootstrap


async def run_bootstrap(
    settings: Settings,
    *,
    municipality: str,
    institution: str,
    admin_email: str,
    admin_name: str | None = None,
    language: str = "da",
) -> BootstrapReport:
    """As the database's owner (the operator's connection, as `seddel demo` uses); the
    invitation waits in the outbox for `seddel worker`."""
    engine = create_engine(settings.owner_database_url)
    try:
        async with session_factory(engine)() as db:
            return await bootstrap(
                db=db,
                settings=settings,
                municipality=municipality,
                institution=institution,
                admin_email=admin_email,
                admin_name=admin_name,
                language=language,
            )
    finally:
        await engine.dispose()
