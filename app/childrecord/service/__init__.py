"""Use cases of the child's record."""
