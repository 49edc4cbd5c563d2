"""GraphQL surface of the gallery."""
