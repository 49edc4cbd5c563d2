"""Absences: sickness (open until reported well), vacation and other absence."""
