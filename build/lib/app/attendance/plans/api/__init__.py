"""GraphQL of the pickup plan: its types and operations."""
