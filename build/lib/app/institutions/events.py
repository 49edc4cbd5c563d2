"""What the institutions slice tells the others (app.core.events): handlers live in the
slices that react, so this slice imports none of them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core.events import DomainEvent


@dataclass(frozen=True)
class GuardianReachChanged(DomainEvent):
    """A child moved or left, or a guardian link ended or lost access (recorded after the
    change is flushed, in its transaction). `user_id`: only that guardian's reach changed."""

    institution_id: uuid.UUID
    child_ids: tuple[uuid.UUID, ...]
    user_id: uuid.UUID | None = None
