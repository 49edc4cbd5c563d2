"""GraphQL of vacation surveys."""
