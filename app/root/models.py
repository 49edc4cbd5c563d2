"""Imports every domain's models so that Base.metadata knows all tables (Alembic, tests)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from app.db import Base


def load_all_models() -> None:
    import app.accounts.federation.models
    import app.accounts.models
    import app.announcements.models
    import app.attendance.absences.models
    import app.attendance.pickup.models
    import app.attendance.plans.models
    import app.attendance.presence.models
    import app.attendance.surveys.models
    import app.childrecord.models
    import app.daybook.models
    import app.files.models
    import app.gallery.models
    import app.institutions.calendar.models
    import app.institutions.contacts.models
    import app.institutions.models
    import app.institutions.roster.models
    import app.messaging.models
    import app.notifications.models
    import app.privacy.accesslog.models
    import app.privacy.audit.models
    import app.privacy.export.models
    import app.privacy.retention.models  # noqa: F401


def tenant_tables() -> list[Table]:
    """Every table that carries institution_id: each must have RLS enabled and forced."""
    load_all_models()
    return [t for t in Base.metadata.sorted_tables if "institution_id" in t.columns]


def managed_by_migrations(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic's include_name: what autogenerate compares. Partitions the database makes
    itself (the access log's months) are not the models' business."""
    from app.privacy.accesslog.models import is_partition

    if type_ == "table":
        return not is_partition(name)
    if type_ == "index":
        return not is_partition(parent_names.get("table_name"))
    return True
