"""Who calls a REST route: the same bearer token and actor as GraphQL, and the same errors
as data (code, message, field) in the caller's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.openapi import ResponseSpec

from app.core.actor import Actor
from app.core.errors import DomainError, NotFound
from app.core.runtime import Runtime
from app.db import RequestSession, write_transaction
from app.institutions.service import actor as institutions
from app.privacy.accesslog.service import recording as access_log
from app.privacy.audit.service import recording as audit

_NO_STORE = {"Cache-Control": "private, no-store"}
# The OpenAPI security requirement of the routes that take the GraphQL API's bearer token.
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


@dataclass
class ErrorBody:
    """Every error answer of the REST routes (JSON, never cached)."""

    status_code: int
    detail: str
    # Errors the caller can act on (401, 404, 413, 422): the same `code` and `field` as the
    # GraphQL API's errors as data, `detail` in the caller's language.
    code: str | None = None
    field: str | None = None
    # The specific, stable cause (the GraphQL API's `reason`, e.g. OIDC_STATE_INVALID).
    reason: str | None = None
    # A malformed request (400): what was wrong, per parameter (message, key, source).
    extra: list[dict[str, Any]] | None = None


_ERROR_MEANINGS = {
    400: "The request is malformed: a parameter or form field is missing or of the wrong type "
    "(`extra` names it).",
    401: "No valid session: send `Authorization: Bearer <token>` (the GraphQL API's token).",
    403: "The link was tampered with or has expired.",
    404: "Not found, or not yours: the same answer either way.",
    409: "In conflict with what exists: `code` says with what.",
    413: "Too large for its purpose.",
    422: "Refused: `code` and `field` say why, `detail` in the caller's language.",
    429: "Too many failed attempts from this address: `Retry-After` says when to try again.",
    502: "The identity provider did not answer as OpenID Connect requires; try again later.",
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The OpenAPI `responses` of a route's error statuses, with their body's schema."""
    return {
        status: ResponseSpec(
            data_container=ErrorBody,
            description=_ERROR_MEANINGS[status],
            generate_examples=False,
        )
        for status in statuses
    }


class DomainHTTPError(HTTPException):
    """A DomainError on its way out of a REST route."""

    def __init__(self, error: DomainError, language: str, status_code: int) -> None:
        super().__init__(
            status_code=status_code,
            detail=error.message(language),
            extra={"code": error.code, "field": error.field, "reason": error.reason.value},
        )


def language_of(request: Request[Any, Any, Any]) -> str:
    wanted = request.headers.get("accept-language", "da")[:2].lower()
    return wanted if wanted in ("da", "en") else "da"


def as_http(error: DomainError, language: str) -> DomainHTTPError:
    status = 404 if isinstance(error, NotFound) else 422
    if error.message_key == "file_too_large":
        status = 413
    return DomainHTTPError(error, language, status)


def json_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.detail}
    if exc.extra:
        body.update(exc.extra if isinstance(exc.extra, dict) else {"extra": exc.extra})
    return Response(body, status_code=exc.status_code, media_type=MediaType.JSON, headers=_NO_STORE)


@asynccontextmanager
async def signed_in(
    request: Request[Any, Any, Any],
) -> AsyncIterator[tuple[RequestSession, Actor]]:
    """A database session scoped to the caller's tenants, and the caller; 401 otherwise. What
    the route noted for the access log (record_access) is written and committed when its
    block ends without an error: before the response (a stream too) starts. What it writes to
    a child's data (a roster import) is in the audit trail as the caller's, under the route
    (`POST /admin/roster/import/{import_id:str}/commit`), as a GraphQL operation's is."""
    runtime: Runtime = request.app.state.runtime
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    async with runtime.sessions() as db:
        actor = None
        if token:
            async with write_transaction(db):
                actor = await institutions.sign_in(db=db, token=token)
        if actor is None:
            raise NotAuthorizedException(detail="Sign in: send Authorization: Bearer <token>.")
        route = min(request.route_handler.paths, default=request.url.path)
        audit.begin(db, actor=actor, operation=f"{request.method} {route}")
        yield db, actor
        if not runtime.settings.access_log:
            access_log.discard(db)
        elif await access_log.flush(db):
            await db.commit()
