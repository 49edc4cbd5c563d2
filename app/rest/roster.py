"""The roster's import (dry run, then commit) and export as CSV or XLSX, for an institution's
admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Request, get, post
from litestar.datastructures import CacheControlHeader, UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, Parameter
from litestar.response import Stream

from app.api.ids import decode, encode
from app.core.errors import Conflict, DomainError
from app.core.i18n import translate
from app.core.runtime import Runtime
from app.core.values import check_text
from app.institutions.roster.models import RosterImport
from app.institutions.roster.service import export as export_format
from app.institutions.roster.service import imports
from app.institutions.roster.service.rows import (
    COLUMNS,
    MAX_ROWS,
)
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access
from app.rest.auth import (
    BEARER,
    DomainHTTPError,
    as_http,
    error_responses,
    json_error,
    language_of,
    signed_in,
)

MAX_ROSTER_BYTES = 32 * 1024 * 1024
_COLUMN_DOC = ", ".join(f"`{c}`" for c in COLUMNS)


@dataclass
class RosterForm:
    institution: str
    file: UploadFile
    mode: Literal["partial", "full"] = "partial"


@dataclass
class RowError:
    column: str
    code: str
    message: str


@dataclass
class GuardianOutcome:
    slot: int
    # unchanged | update | link (an existing person, by e-mail) | invite (a new person)
    action: str
    changes: list[str]


@dataclass
class RowOutcome:
    line: int
    externalId: str | None
    action: Literal["create", "update", "unchanged", "error"]
    changes: list[str]
    guardians: list[GuardianOutcome]
    errors: list[RowError]


@dataclass
class EndedChild:
    externalId: str
    name: str
    lastDay: str


@dataclass
class RosterSummary:
    rows: int
    create: int
    update: int
    unchanged: int
    error: int
    end: int
    newPeople: int
    invitations: int
    told: int


@dataclass
class RosterImportPlan:
    id: str
    mode: str
    fileSha256: str
    expiresAt: datetime
    committedAt: datetime | None
    applied: bool
    summary: RosterSummary
    rows: list[RowOutcome]
    ends: list[EndedChild]


def _plan_body(result: imports.ImportResult, language: str) -> RosterImportPlan:
    row: RosterImport = result.row
    summary = row.plan["summary"]

    def errors(found: list[dict[str, str]]) -> list[RowError]:
        return [
            RowError(
                column=e["column"],
                code=e["key"].upper(),
                message=translate(
                    e["key"], language, **{k: v for k, v in e.items() if k not in ("column", "key")}
                ),
            )
            for e in found
        ]

    return RosterImportPlan(
        id=encode("RosterImport", row.id),
        mode=row.mode,
        fileSha256=row.file_sha256,
        expiresAt=row.expires_at,
        committedAt=row.committed_at,
        applied=result.applied,
        summary=RosterSummary(
            rows=summary["rows"],
            create=summary["create"],
            update=summary["update"],
            unchanged=summary["unchanged"],
            error=summary["error"],
            end=summary["end"],
            newPeople=summary["new_people"],
            invitations=summary["invitations"],
            told=summary["told"],
        ),
        rows=[
            RowOutcome(
                line=r["line"],
                externalId=r["external_id"],
                action=r["action"],
                changes=r["changes"],
                guardians=[GuardianOutcome(**g) for g in r.get("guardians", [])],
                errors=errors(r["errors"]),
            )
            for r in row.plan["rows"]
        ],
        ends=[
            EndedChild(externalId=e["external_id"], name=e["name"], lastDay=e["last_day"])
            for e in row.plan["ends"]
        ],
    )


def _http(error: DomainError, language: str) -> DomainHTTPError:
    if isinstance(error, Conflict):
        return DomainHTTPError(error, language, 409)
    return as_http(error, language)


@post(
    "/admin/roster/import",
    operation_id="rosterImportDryRun",
    tags=["roster"],
    summary="Dry run of a roster import (CSV): what would happen, per row",
    description=(
        "Multipart form with `institution` (the institution's global ID), `file` (CSV) and "
        "`mode`: `partial` (default: only the rows of the file are created or updated) or "
        "`full` (the file is the whole roster: children with an external id that it leaves "
        "out end today, never deleted). One row per child, a header row naming the columns "
        f"(any order, case-insensitive): {_COLUMN_DOC}; up to four guardians "
        "(`guardian3_*`, `guardian4_*` may follow). Required: `child_external_id`, "
        "`child_first_name`, `child_last_name`, `child_birth_date`, `group` (a group's name); "
        "a guardian needs `name` and `email`. Dates ISO (2021-03-04) or Danish (04-03-2021, "
        "04.03.2021); custody `ja`/`nej` (yes/no, empty: yes); access `full`, `information` "
        "or `none` (empty: full with custody, none without). UTF-8 with or without BOM, "
        "comma or semicolon separated (as Excel writes it in Danish), at most "
        f"{MAX_ROWS} rows. Nothing changes: the answer is the plan per row (`create`, "
        "`update`, `unchanged` or `error` with the column and a message in the caller's "
        "language), the children a full roster ends, and a summary; its `id` is what "
        "`POST /admin/roster/import/{id}/commit` applies within 24 hours. Children are "
        "matched by external id (a child typed in by hand, by name and birth date); "
        "guardians by e-mail: an existing person is linked and told, a new one invited. "
        "Errors: 401 without a valid session, 404 for an institution you do not administer, "
        "413 when too large, 422 for a file that is not a roster (not UTF-8, a required "
        "column missing)."
    ),
    request_max_body_size=MAX_ROSTER_BYTES,
    status_code=201,
    security=BEARER,
    responses=error_responses(400, 401, 404, 413, 422),
    exception_handlers={HTTPException: json_error},
)
async def roster_import_dry_run(
    request: Request[Any, Any, Any],
    data: Annotated[RosterForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> RosterImportPlan:
    language = language_of(request)
    try:
        check_text(data.institution, "institution")
        check_text(data.file.filename or "", "file")
    except DomainError as error:
        await data.file.close()
        raise as_http(error, language) from None
    async with signed_in(request) as (db, actor):
        language = actor.language or language
        try:
            result = await imports.dry_run(
                db=db,
                actor=actor,
                institution_id=decode(data.institution, "Institution", field="institution"),
                mode=data.mode,
                file=data.file.file,
            )
        except DomainError as error:
            raise _http(error, language) from None
        finally:
            await data.file.close()
    return _plan_body(result, language)


@post(
    "/admin/roster/import/{import_id:str}/commit",
    operation_id="rosterImportCommit",
    tags=["roster"],
    summary="Apply a roster import's dry run, exactly as planned",
    description=(
        "Applies the plan of `POST /admin/roster/import` in one transaction: all of it or "
        "nothing. The roster is planned again first; when anything the plan depends on "
        "changed since the dry run (a child, a guardian, a group, a person's e-mail), the "
        "commit is refused with 409 `ROSTER_IMPORT_STALE`: make a new dry run. New guardians "
        "are invited (one mail each), existing people linked by e-mail are told. A commit "
        "retried after it succeeded answers the same with `applied` false and changes "
        "nothing. Errors: 401 without a valid session, 404 for a plan that is not yours or "
        "gone, 409 when stale or expired, 422 when the plan has rows in error."
    ),
    status_code=200,
    security=BEARER,
    responses=error_responses(401, 404, 409, 422),
    exception_handlers={HTTPException: json_error},
)
async def roster_import_commit(
    request: Request[Any, Any, Any],
    import_id: Annotated[str, Parameter(description="The dry run's `id`.")],
) -> RosterImportPlan:
    runtime: Runtime = request.app.state.runtime
    language = language_of(request)
    async with signed_in(request) as (db, actor):
        language = actor.language or language
        try:
            result = await imports.commit(
                db=db,
                settings=runtime.settings,
                actor=actor,
                import_id=decode(import_id, "RosterImport", field="id"),
            )
        except DomainError as error:
            raise _http(error, language) from None
    return _plan_body(result, language)


async def _exported(
    request: Request[Any, Any, Any], institution: str, operation: str
) -> tuple[list[Any], dict[Any, list[Any]]]:
    """The roster's rows for an export, read as its admin. An export is a bulk read of the
    children's names, birth dates and guardians: each child exported is in the access log (kind
    export), committed before the file is sent."""
    language = language_of(request)
    async with signed_in(request) as (db, actor):
        try:
            children, links = await imports.export_rows(
                db=db,
                actor=actor,
                institution_id=decode(institution, "Institution", field="institution"),
            )
        except DomainError as error:
            raise as_http(error, actor.language or language) from None
        record_access(
            db,
            actor,
            child_ids=[child.id for child in children],
            kind=AccessKind.EXPORT,
            operation=operation,
        )
    return children, links


@get(
    "/admin/roster/export.csv",
    operation_id="rosterExportCsv",
    tags=["roster"],
    summary="The roster as CSV, in the import's columns (admins)",
    description=(
        "The children on the roster today or later (alphabetically) with their group and "
        "guardians, one row per child, in the columns `POST /admin/roster/import` reads: "
        "imported again, it changes nothing (a child typed in by hand has an empty "
        "`child_external_id`, to be filled in before it is imported). UTF-8 with a BOM "
        "(Excel), comma-separated or, with "
        "`delimiter=semicolon`, as Excel in Danish writes it. Errors: 401 without a valid "
        "session, 404 for an institution you do not administer."
    ),
    media_type="text/csv; charset=utf-8",
    response_description=f"CSV: {', '.join(COLUMNS)}.",
    cache_control=CacheControlHeader(private=True, no_store=True),
    security=BEARER,
    responses=error_responses(400, 401, 404),
    exception_handlers={HTTPException: json_error},
)
async def roster_export_csv(
    request: Request[Any, Any, Any],
    institution: Annotated[str, Parameter(description="The institution's global ID.")],
    delimiter: Annotated[
        Literal["comma", "semicolon"], Parameter(description="The separator.")
    ] = "comma",
) -> Stream:
    children, links = await _exported(request, institution, "rosterExportCsv")
    # Sent as it is written, 500 children at a time: never the whole file in memory.
    return Stream(
        export_format.csv_lines(children, links, ";" if delimiter == "semicolon" else ","),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="roster.csv"'},
    )


@get(
    "/admin/roster/export.xlsx",
    operation_id="rosterExportXlsx",
    tags=["roster"],
    summary="The roster as an Excel workbook, in the import's columns (admins)",
    description=(
        "The same rows and columns as `GET /admin/roster/export.csv`, as one sheet of text "
        "cells (external ids and phone numbers keep their leading zeros). Errors: 401 "
        "without a valid session, 404 for an institution you do not administer."
    ),
    media_type=export_format.XLSX_MEDIA_TYPE,
    response_description=f"XLSX, one sheet: {', '.join(COLUMNS)}.",
    cache_control=CacheControlHeader(private=True, no_store=True),
    security=BEARER,
    responses=error_responses(400, 401, 404),
    exception_handlers={HTTPException: json_error},
)
async def roster_export_xlsx(
    request: Request[Any, Any, Any],
    institution: Annotated[str, Parameter(description="The institution's global ID.")],
) -> Stream:
    children, links = await _exported(request, institution, "rosterExportXlsx")
    return Stream(
        export_format.xlsx_bytes(children, links),
        media_type=export_format.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="roster.xlsx"'},
    )


ROSTER_ROUTES = [roster_import_dry_run, roster_import_commit, roster_export_csv, roster_export_xlsx]
