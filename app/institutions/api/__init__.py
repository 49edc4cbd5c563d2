"""GraphQL surface of institutions: node types, and administration mutations."""
