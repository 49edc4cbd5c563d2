"""GraphQL surface of institutions (me, node types, administration, devices) for app.root."""

from app.institutions.api.compiled import CompiledMe
from app.institutions.api.devices import DeviceMutations, DeviceQueries, TabletMutations
from app.institutions.api.me import MeQueries
from app.institutions.api.moves import GroupMoveMutations, GroupMoveQueries
from app.institutions.api.mutations import InstitutionMutations
from app.institutions.api.setup import SetupMutations

__all__ = [
    "CompiledMe",
    "DeviceMutations",
    "DeviceQueries",
    "GroupMoveMutations",
    "GroupMoveQueries",
    "InstitutionMutations",
    "MeQueries",
    "SetupMutations",
    "TabletMutations",
]
