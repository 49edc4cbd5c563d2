"""GraphQL of legal holds: `legalHolds`, `placeLegalHold`, `releaseLegalHold` (admins)."""

from app.privacy.retention.api.operations import LegalHoldMutations, LegalHoldQueries

__all__ = ["LegalHoldMutations", "LegalHoldQueries"]
