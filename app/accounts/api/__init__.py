"""GraphQL surface of accounts (logins, sessions, one's PIN, the second factor): the classes
app.root merges."""

from app.accounts.api.pins import PinMutations
from app.accounts.api.second_factor import SecondFactorMutations, SecondFactorQueries
from app.accounts.api.sessions import AccountMutations, AccountQueries

__all__ = [
    "AccountMutations",
    "AccountQueries",
    "PinMutations",
    "SecondFactorMutations",
    "SecondFactorQueries",
]
