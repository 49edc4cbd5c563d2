"""REST endpoints next to GraphQL: file transfer, health and metrics."""
