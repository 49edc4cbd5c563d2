"""GraphQL surface of the daily log (child days, entries, the live day) for app.root."""

from app.daybook.api.compiled import CompiledChildDay
from app.daybook.api.operations import DaybookMutations, DaybookQueries, DaybookSubscriptions

__all__ = ["CompiledChildDay", "DaybookMutations", "DaybookQueries", "DaybookSubscriptions"]
