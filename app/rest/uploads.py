"""POST /uploads: the one way files enter Seddel (attachments, photos, pickup photos)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body

from app.api.ids import decode, encode
from app.core.errors import DomainError
from app.core.runtime import Runtime
from app.core.values import check_text
from app.files.service import uploads as files
from app.files.service.uploads import MAX_UPLOAD_BYTES
from app.rest.auth import BEARER, as_http, error_responses, json_error, language_of, signed_in


@dataclass
class UploadForm:
    institution: str
    purpose: str
    file: UploadFile


@dataclass
class UploadedFile:
    id: str
    filename: str
    contentType: str
    size: int
    width: int | None
    height: int | None
    variants: list[str]


@post(
    "/uploads",
    operation_id="uploadFile",
    tags=["files"],
    summary="Upload a file for a message, a photo or a pickup person",
    description=(
        "Multipart form with `institution` (the institution's global ID), `purpose` "
        "(`attachment`, `photo` or `pickup_photo`) and `file`. The content decides what the "
        "file is, never its name or declared type: attachments may be PDF, images (JPEG, "
        "PNG, WebP, HEIC, GIF) or common office documents, up to 25 MB; photos JPEG, PNG, "
        "WebP or HEIC up to 20 MB and 40 megapixels; pickup photos up to 10 MB. Images are "
        "decoded, turned upright, re-encoded without EXIF/GPS and resized into renditions; "
        "the original bytes are never stored. The answer's `id` is passed to the GraphQL "
        "mutation that uses the file (`sendMessage`, `addPhoto`, ...); a file nobody uses "
        "within a day is deleted. Errors: 401 without a valid session, 404 for an "
        "institution that is not yours (or a purpose you may not upload for there), 413 "
        "when too large, 422 with `code`, `field` and a `detail` in the caller's language "
        "for a file that is not what it claims or not allowed."
    ),
    request_max_body_size=MAX_UPLOAD_BYTES + 1024 * 1024,
    status_code=201,
    security=BEARER,
    responses=error_responses(400, 401, 404, 413, 422),
    exception_handlers={HTTPException: json_error},
)
async def upload_file(
    request: Request[Any, Any, Any],
    data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> UploadedFile:
    runtime: Runtime = request.app.state.runtime
    language = language_of(request)
    try:
        # The rule of every text input (the GraphQL API's too), before anything reads them.
        check_text(data.institution, "institution")
        check_text(data.purpose, "purpose")
        check_text(data.file.filename or "", "file")
    except DomainError as error:
        await data.file.close()
        raise as_http(error, language) from None
    async with signed_in(request) as (db, actor):
        try:
            files.purpose_rules(data.purpose)
            institution_id = decode(data.institution, "Institution", field="institution")
            content = await data.file.read()
            row = await files.upload(
                db=db,
                storage=runtime.storage,
                actor=actor,
                institution_id=institution_id,
                purpose=data.purpose,
                filename=data.file.filename,
                data=content,
            )
        except DomainError as error:
            raise as_http(error, actor.language or language) from None
        finally:
            await data.file.close()
    return UploadedFile(
        id=encode("File", row.id),
        filename=row.filename,
        contentType=row.content_type,
        size=row.size,
        width=row.width,
        height=row.height,
        variants=list(row.variants),
    )


UPLOAD_ROUTES = [upload_file]
