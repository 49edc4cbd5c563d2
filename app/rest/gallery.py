"""GET /children/{child}/photos.zip: a guardian's export of their child's photos."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.exceptions import HTTPException
from litestar.params import Parameter
from litestar.response import Stream

from app.api.ids import decode
from app.core.errors import DomainError
from app.core.runtime import Runtime
from app.gallery.service import export
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access
from app.rest.auth import BEARER, as_http, error_responses, json_error, language_of, signed_in
from app.storage import attachment_disposition


@get(
    "/children/{child:str}/photos.zip",
    operation_id="exportChildPhotos",
    tags=["gallery"],
    summary="Download every photo of your child as one ZIP",
    description=(
        "For a guardian (full access or information only) of the child: every photo of the "
        "child they may see under the current consent, at full resolution (re-encoded, "
        "without EXIF/GPS), in the order taken, named `<date>_<number>.jpg`. The archive is "
        "written while it is sent, so it starts at once and memory stays flat however many "
        "photos there are. Authenticate with `Authorization: Bearer <token>` as for "
        "GraphQL. Errors: 401 without a valid session, 404 for a child that is not yours "
        "(the same as one that does not exist)."
    ),
    media_type="application/zip",
    response_description="A ZIP archive (stored entries), streamed.",
    cache_control=CacheControlHeader(private=True, no_store=True),
    response_headers=[
        ResponseHeader(
            name="Content-Disposition",
            documentation_only=True,
            description="`attachment; filename=photos-<child>.zip`.",
        ),
    ],
    security=BEARER,
    responses=error_responses(400, 401, 404, 422),
    exception_handlers={HTTPException: json_error},
)
async def export_child_photos(
    request: Request[Any, Any, Any],
    child: Annotated[str, Parameter(description="The child's global ID.")],
) -> Stream:
    runtime: Runtime = request.app.state.runtime
    language = language_of(request)
    async with signed_in(request) as (db, actor):
        try:
            child_id = decode(child, "Child", field="child")
            plan = await export.plan_export(db=db, actor=actor, child_id=child_id)
        except DomainError as error:
            raise as_http(error, actor.language or language) from None
        # Only the child's own guardians get here today (no row); logged all the same, so
        # that a wider rule one day cannot export without a trace.
        record_access(
            db, actor, child_ids=[child_id], kind=AccessKind.EXPORT, operation="exportChildPhotos"
        )
    return Stream(
        export.stream_zip(runtime.storage, plan),
        media_type="application/zip",
        headers={"Content-Disposition": attachment_disposition(plan.filename)},
    )


GALLERY_ROUTES = [export_child_photos]
