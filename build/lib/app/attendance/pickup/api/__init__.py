"""GraphQL of pickup: pickup persons, their photos and the codeword."""
