"""What announcements record (app.core.events): a posted announcement and whom it reached,
published to their inboxes after commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core.events import DomainEvent


@dataclass(frozen=True)
class AnnouncementPosted(DomainEvent):
    announcement_id: uuid.UUID
    recipients: tuple[uuid.UUID, ...]  # the guardians who got a receipt, sorted
