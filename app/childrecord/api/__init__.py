"""GraphQL surface of the child's record."""
