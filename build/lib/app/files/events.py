"""What the files slice is told by the others (app.core.events)."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.events import DomainEvent


@dataclass(frozen=True)
class StoredObjectsReleased(DomainEvent):
    """File rows are gone in this transaction; their stored objects go once it commits."""

    keys: tuple[str, ...]
