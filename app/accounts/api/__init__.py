"""GraphQL surface of accounts (logins, sessions, one's PIN, password reset, one's profile):
the classes app.root merges."""

from app.accounts.api.pins import PinMutations
from app.accounts.api.profile import ProfileMutations
from app.accounts.api.recovery import RecoveryMutations
from app.accounts.api.sessions import AccountMutations, AccountQueries

__all__ = [
    "AccountMutations",
    "AccountQueries",
    "PinMutations",
    "ProfileMutations",
    "RecoveryMutations",
]
