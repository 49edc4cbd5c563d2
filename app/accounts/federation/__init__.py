"""Federated login: OpenID Connect identity providers per municipality, the identities they
vouch for, and the one-time codes that hand a signed-in person to the app."""
