"""The access log is kept as long as the institution's own setting says (never below the legal
floor, never below the server's setting): a staff read survives past the server's six months
when the institution keeps twelve, and goes after twelve."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.privacy.accesslog.models import AccessLogEntry
from app.privacy.accesslog.service.retention import access_log_retention
from tests.daybook.helpers import PERNILLE, day_of, solsikken
from tests.helpers import SOLSIKKEN_ADMIN, institution_id
from tests.retention.world import context, count


async def test_the_institutions_own_months_decide_how_long_its_log_is_kept(client, runtime):
    world = await solsikken(client)
    institution = await institution_id(client, SOLSIKKEN_ADMIN)
    await day_of(client, world["liva"], as_=PERNILLE)
    rows = select(func.count()).select_from(AccessLogEntry)
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
    await access_log_retention(context(runtime, later=timedelta(days=13 * 31)))
    assert await count(runtime, institution, rows) == 0
