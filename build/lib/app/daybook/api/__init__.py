"""GraphQL surface of the daily log (child days, entries, the live day) for app.root."""

from app.daybook.api.operations import DaybookMutations, DaybookQueries, DaybookSubscriptions

__all__ = ["DaybookMutations", "DaybookQueries", "DaybookSubscriptions"]
