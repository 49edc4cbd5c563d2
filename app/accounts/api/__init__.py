"""GraphQL surface of accounts (logins, sessions, one's PIN, the second factor, invitations,
password reset, one's profile): the classes app.root merges."""

from app.accounts.api.invitations import InvitationMutations, InvitationQueries
from app.accounts.api.pins import PinMutations
from app.accounts.api.profile import ProfileMutations
from app.accounts.api.push_devices import PushDeviceMutations, PushDeviceQueries
from app.accounts.api.recovery import RecoveryMutations
from app.accounts.api.second_factor import SecondFactorMutations, SecondFactorQueries
from app.accounts.api.sessions import AccountMutations, AccountQueries

__all__ = [
    "AccountMutations",
    "AccountQueries",
    "InvitationMutations",
    "InvitationQueries",
    "PinMutations",
    "ProfileMutations",
    "PushDeviceMutations",
    "PushDeviceQueries",
    "RecoveryMutations",
    "SecondFactorMutations",
    "SecondFactorQueries",
]
