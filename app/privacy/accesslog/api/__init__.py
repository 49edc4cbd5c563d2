"""GraphQL of the access log: `childAccessLog` (custody holders, admins) and
`institutionAccessLog` (admins, by person)."""

from app.privacy.accesslog.api.operations import AccessLogQueries

__all__ = ["AccessLogQueries"]
