"""The access log is kept as long as the institution's own setting says (never below the legal
floor, never below the server's setting): a staff read survives past the server's six months
when the institution keeps twelve, and past twelve while its child is under a legal hold;
released, it goes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.privacy.accesslog.models import AccessLogEntry
from app.privacy.accesslog.service.retention import (
    access_log_retention,
    access_log_retention_report,
)
from tests.daybook.helpers import PERNILLE, day_of, solsikken
from tests.helpers import SOLSIKKEN_ADMIN, institution_id
from tests.retention.world import context, count, uuid_of


async def test_the_institutions_own_months_decide_how_long_its_log_is_kept(client, runtime):
    world = await solsikken(client)
    institution = await institution_id(client, SOLSIKKEN_ADMIN)
    await day_of(client, world["liva"], as_=PERNILLE)
    # Liva's rows only: servers started by other tests commit rows of their own in this
    # database, and those are not under this test's hold.
    liva = uuid_of(world["liva"])
    rows = select(func.count()).select_from(AccessLogEntry).where(AccessLogEntry.child_id == liva)
    logged = await count(runtime, institution, rows)
    assert logged >= 1
    done = await client.gql(
        "UpdateInstitutionSettings",
        {"institution": institution, "input": {"accessLogRetentionMonths": 12}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert done["updateInstitutionSettings"]["__typename"] == "Institution", done
    await access_log_retention(context(runtime, later=timedelta(days=7 * 31)))
    assert await count(runtime, institution, rows) == logged
    # Under a hold, Liva's rows stay past the institution's months, and the report says why.
    placed = await client.gql(
        "PlaceLegalHold", {"childId": world["liva"], "reason": "Sag"}, as_=SOLSIKKEN_ADMIN
    )
    later = context(runtime, later=timedelta(days=13 * 31))
    report = await access_log_retention_report(later)
    assert await count(runtime, institution, rows) == logged
    assert [(k.subject_id, k.reason) for k in report.kept] == [(liva, "Sag")]
    hold = placed["placeLegalHold"]["id"]
    await client.gql("ReleaseLegalHold", {"legalHoldId": hold}, as_=SOLSIKKEN_ADMIN)
    assert await access_log_retention(later) >= logged
    assert await count(runtime, institution, rows) == 0
