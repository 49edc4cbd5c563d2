"""Seddel: the slip between daycare institutions and parents, as a GraphQL backend."""
