"""GraphQL surface of accounts (logins, sessions, one's PIN, invitations): the classes
app.root merges."""

from app.accounts.api.invitations import InvitationMutations, InvitationQueries
from app.accounts.api.pins import PinMutations
from app.accounts.api.sessions import AccountMutations, AccountQueries

__all__ = [
    "AccountMutations",
    "AccountQueries",
    "InvitationMutations",
    "InvitationQueries",
    "PinMutations",
]
