"""Imports every domain's models so that Base.metadata knows all tables (Alembic, tests)."""

from __future__ import annotations

from sqlalchemy import Table

from app.db import Base


def load_all_models() -> None:
    import app.accounts.models
    import app.announcements.models
    import app.attendance.absences.models
    import app.attendance.pickup.models
    import app.attendance.plans.models
    import app.attendance.presence.models
    import app.attendance.surveys.models
    import app.daybook.models
    import app.files.models
    import app.gallery.models
    import app.institutions.calendar.models
    import app.institutions.models
    import app.messaging.models
    import app.notifications.models  # noqa: F401


def tenant_tables() -> list[Table]:
    """Every table that carries institution_id: each must have RLS enabled and forced."""
    load_all_models()
    return [t for t in Base.metadata.sorted_tables if "institution_id" in t.columns]
