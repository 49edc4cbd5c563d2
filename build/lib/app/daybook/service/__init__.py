"""Daily log's use cases: entries, group entries, checks, incidents, kinds, live channel."""
