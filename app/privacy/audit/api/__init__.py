"""GraphQL of the audit trail: `auditTrail` (admins of the institution)."""

from app.privacy.audit.api.operations import AuditTrailQueries

__all__ = ["AuditTrailQueries"]
