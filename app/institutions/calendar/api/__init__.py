"""GraphQL surface of the calendar of closed days for app.root."""

from app.institutions.calendar.api.operations import CalendarMutations, CalendarQueries

__all__ = ["CalendarMutations", "CalendarQueries"]
