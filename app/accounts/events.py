"""What the accounts slice tells the others (app.core.events): the notifications slice mails
invitations and "you were added" notes, so this slice imports none of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core.events import DomainEvent


@dataclass(frozen=True)
class InvitationSent(DomainEvent):
    """An invitation was made or is to be sent again: its mail (with a new token) is due."""

    invitation_id: uuid.UUID
    institution_id: uuid.UUID
    user_id: uuid.UUID
    sent_at_key: str  # one mail per send: part of the outbox row's idempotency key


@dataclass(frozen=True)
class MembershipGranted(DomainEvent):
    """A person who has a password already was added to an institution: they are told, not
    invited. `role`: admin, staff or guardian."""

    institution_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    granted_by: uuid.UUID | None
    grant_id: uuid.UUID
