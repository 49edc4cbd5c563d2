"""Roster import and export (issue 16)."""
