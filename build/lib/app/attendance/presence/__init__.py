"""Presence: check-in/out, undo, the kiosk, the day views, the nightly close and the report."""
