"""GET /reports/attendance.csv: the admins' attendance report as a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.exceptions import HTTPException
from litestar.params import Parameter

from app.api.ids import decode
from app.attendance.presence.service import views
from app.core.errors import DomainError
from app.rest.auth import BEARER, as_http, error_responses, json_error, language_of, signed_in

COLUMNS = (
    "group",
    "day",
    "present",
    "sick",
    "vacation",
    "other_absence",
    "minutes_present",
)


@get(
    "/reports/attendance.csv",
    operation_id="attendanceReportCsv",
    tags=["reports"],
    summary="Attendance per group and day, as CSV (admins)",
    description=(
        "The same rows as the GraphQL `attendanceReport`: one per group and day of the "
        "period (at most 93 days), with the children present, absences by kind (sick, "
        "vacation, other) and the minutes present in total. UTF-8 with a header row, "
        "comma-separated. Send `Authorization: Bearer <token>` as for GraphQL. Errors: 401 "
        "without a valid session, 404 for an institution you do not administer, 422 with "
        "`code`, `field` and a `detail` in the caller's language for a bad period."
    ),
    media_type="text/csv; charset=utf-8",
    response_description="CSV: group, day, present, sick, vacation, other_absence, "
    "minutes_present.",
    cache_control=CacheControlHeader(private=True, no_store=True),
    response_headers=[
        ResponseHeader(
            name="Content-Disposition",
            documentation_only=True,
            description="`attachment`, named after the institution's period.",
        ),
    ],
    security=BEARER,
    responses=error_responses(400, 401, 404, 422),
    exception_handlers={HTTPException: json_error},
)
async def attendance_report_csv(
    request: Request[Any, Any, Any],
    institution: Annotated[str, Parameter(description="The institution's global ID.")],
    start: Annotated[date, Parameter(description="First day (inclusive), YYYY-MM-DD.")],
    end: Annotated[date, Parameter(description="Last day (inclusive), YYYY-MM-DD.")],
) -> Response[str]:
    language = language_of(request)
    async with signed_in(request) as (db, actor):
        try:
            rows = await views.attendance_report(
                db=db,
                actor=actor,
                institution_id=decode(institution, "Institution", field="institution"),
                start=start,
                end=end,
            )
        except DomainError as error:
            raise as_http(error, actor.language or language) from None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.group_name,
                row.day.isoformat(),
                row.present,
                row.sick,
                row.vacation,
                row.other_absence,
                row.minutes_present,
            ]
        )
    filename = f"attendance-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


REPORT_ROUTES = [attendance_report_csv]
