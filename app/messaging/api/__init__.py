"""GraphQL surface of messaging."""
