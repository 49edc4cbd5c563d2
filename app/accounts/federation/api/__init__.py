"""GraphQL surface of federated login: the classes app.root merges."""

from app.accounts.federation.api.login_codes import FederatedLoginMutations

__all__ = ["FederatedLoginMutations"]
