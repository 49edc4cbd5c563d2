"""What the export tells the others (app.core.events): notifications announces it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core.events import DomainEvent


@dataclass(frozen=True)
class DataExportReady(DomainEvent):
    """A person's export can be downloaded now (until `expires_at`): tell them. The outbox
    row is one institution's (each row is); the person's first one is named here."""

    export_id: uuid.UUID
    user_id: uuid.UUID
    institution_id: uuid.UUID
