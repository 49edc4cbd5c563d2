"""The attendance domain's clock: one place to ask for "now", so tests can fix the time
(cut-offs, deadlines and "today" depend on it)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current moment, timezone-aware UTC."""
    return datetime.now(UTC)
