"""Announcements (opslag): staff post to a group or the institution; guardians read and confirm."""
