"""What the gallery tells the others (app.core.events): handlers live in the slices that react
(the child-day timeline of app.daybook tells its subscribers), so this slice imports none."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core.events import DomainEvent


@dataclass(frozen=True)
class PhotoShared(DomainEvent):
    """A photo was added or re-tagged and now shows these children (only the newly tagged):
    their day has something new."""

    institution_id: uuid.UUID
    photo_id: uuid.UUID
    child_ids: tuple[uuid.UUID, ...]
