"""GraphQL surface of accounts (logins, sessions, one's PIN): the classes app.root merges."""

from app.accounts.api.pins import PinMutations
from app.accounts.api.push_devices import PushDeviceMutations, PushDeviceQueries
from app.accounts.api.sessions import AccountMutations, AccountQueries

__all__ = [
    "AccountMutations",
    "AccountQueries",
    "PinMutations",
    "PushDeviceMutations",
    "PushDeviceQueries",
]
