"""What the accounts slice tells the others (app.core.events): the notifications slice turns
it into mail (invitations, "you were added", password and address changes), so this slice
imports no notification code."""

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


# password_reset: the reset link (to the account's address; `user_id` None when no account
#   has the address asked for: the row is written all the same, and never sent).
# password_changed: the password was set (by reset or by the person).
# email_change: the confirmation link, to the new address.
# email_changed: the old address is told its account moved to the new one.
ACCOUNT_MAIL_KINDS = ("password_reset", "password_changed", "email_change", "email_changed")


@dataclass(frozen=True)
class AccountMailRequested(DomainEvent):
    """An e-mail about the account itself, recorded in the transaction that made the reason
    for it. `token_id`: the AccountToken whose link the mail carries (the token itself is
    minted by the sender when it sends, so no plain token is ever stored). `to_address`:
    when not the account's own address (the old address after a change)."""

    kind: str
    user_id: uuid.UUID | None
    token_id: uuid.UUID | None = None
    to_address: str | None = None


@dataclass(frozen=True)
class InvitationsSent(DomainEvent):
    """Many invitations of one institution were made or are to be sent again at once (a
    roster import): one mail each is due, as for InvitationSent."""

    institution_id: uuid.UUID
    invited_by: uuid.UUID | None
    invitations: tuple[tuple[uuid.UUID, uuid.UUID], ...]  # (invitation id, user id)
    sent_at_key: str


@dataclass(frozen=True)
class MembershipsGranted(DomainEvent):
    """Many people with a password already were added to one institution at once as `role`."""

    institution_id: uuid.UUID
    role: str
    granted_by: uuid.UUID | None
    grants: tuple[tuple[uuid.UUID, uuid.UUID], ...]  # (user id, grant id)
