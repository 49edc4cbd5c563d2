"""GraphQL surface of the group's contact list."""
