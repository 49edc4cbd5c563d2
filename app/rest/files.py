"""Downloads of locally stored files through signed links.

Only the local backend needs this route: S3 hands out presigned URLs of its own, which
never reach the application. The link itself is the credential (it is short-lived and
made for one actor by a resolver that checked visibility), so the route has no session.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import MediaType, Request, Response, get
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.exceptions import (
    HTTPException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import Parameter
from litestar.response import Stream
from litestar.response.base import ASGIResponse

from app.core.runtime import Runtime
from app.rest.auth import error_responses
from app.storage import LocalStorage, ObjectNotFound, attachment_disposition

# Error answers must not be cached either: a 404 can turn into a 200 a second later.
_NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def _json_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Errors as JSON, not under the route's media type (Litestar's default would label
    them application/octet-stream), and never cached."""
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.detail}
    if exc.extra:
        body["extra"] = exc.extra
    return Response(body, status_code=exc.status_code, media_type=MediaType.JSON, headers=_NO_STORE)


class _StoredTypeStream(Stream):
    """A stream sent under the object's own content type: Litestar's Stream lets the route's
    media type win over its own, whatever its documentation says (litestar 2.x)."""

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIResponse:
        kwargs["media_type"] = self.media_type or kwargs.get("media_type")
        return super().to_asgi_response(*args, **kwargs)


class InvalidFileLink(PermissionDeniedException):
    detail = "The download link is invalid or has expired."


class FileNotFound(NotFoundException):
    detail = "No such file."


@get(
    "/files/{key:path}",
    name="files:download",
    operation_id="downloadFile",
    tags=["files"],
    summary="Download a file through a signed link",
    description=(
        "Serves a file of the local storage backend. The URL comes from the GraphQL API "
        "(for example a photo's `url` field) and is valid for a few minutes: `expires`, "
        "`filename` and `signature` must be passed back unchanged. The file is sent as an "
        "attachment with its stored content type and is never cached. A link that was "
        "tampered with or has expired gives 403; a valid link to a deleted file gives "
        "404. Deployments on S3 hand out presigned S3 URLs instead, and this route "
        "answers 404."
    ),
    media_type="application/octet-stream",
    response_description="The file's bytes, with its stored content type.",
    cache_control=CacheControlHeader(private=True, no_store=True),
    response_headers=[
        ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
        ResponseHeader(
            name="Content-Disposition",
            documentation_only=True,
            description="`attachment`, with the file name the link was made for.",
        ),
    ],
    responses=error_responses(400, 403, 404),
    exception_handlers={HTTPException: _json_error},
)
async def download_file(
    request: Request[Any, Any, Any],
    key: Annotated[str, Parameter(description="Storage key, `institutions/<id>/...`.")],
    expires: Annotated[
        int | None, Parameter(description="Expiry of the link, in Unix seconds.")
    ] = None,
    signature: Annotated[
        str | None, Parameter(description="HMAC-SHA256 of key, expiry and file name (hex).")
    ] = None,
    filename: Annotated[
        str | None, Parameter(description="File name offered to the user when saving.")
    ] = None,
) -> Stream:
    runtime: Runtime = request.app.state.runtime
    storage = runtime.storage
    if not isinstance(storage, LocalStorage):
        raise FileNotFound
    # Litestar's path parameters keep the leading slash of the matched segment.
    key = key.removeprefix("/")
    # The signature is checked before the store is touched, so an unsigned request learns
    # nothing, not even whether a key exists.
    if (
        expires is None
        or signature is None
        or not storage.verify_signature(key, expires, signature, filename)
    ):
        raise InvalidFileLink
    try:
        content_type, size, chunks = await storage.open_stream(key)
    except ObjectNotFound:
        raise FileNotFound from None
    # Sent as it is read: an export's ZIP of hundreds of MB never sits in memory.
    return _StoredTypeStream(
        chunks,
        media_type=content_type,
        headers={
            "Content-Disposition": attachment_disposition(filename or key.rsplit("/", 1)[-1]),
            "Content-Length": str(size),
        },
    )


FILE_ROUTES = [download_file]
