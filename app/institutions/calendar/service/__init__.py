"""Use cases of the calendar: which days are closed, and the admin's changes."""
