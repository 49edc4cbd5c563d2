"""Use cases of messaging: writing, reading, taking part, live events and retention."""
