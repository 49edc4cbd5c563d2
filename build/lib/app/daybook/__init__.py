"""Daily log (dagbog): entries of a child's day, their history, incidents, the live day."""
