"""The audit trail is kept as long as the institution's `auditTrailRetentionMonths` says,
counted from each write: within it nothing goes; past it the rows go, but those of a child
under a legal hold, which stay (and the report names the hold) until it is released."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.privacy.audit.models import AuditTrailEntry
from tests.attendance.plan_helpers import family
from tests.helpers import SOLSIKKEN_ADMIN
from tests.privacy.helpers import METTE
from tests.retention.world import count, run, uuid_of


def _rows(child: object) -> object:
    return (
        select(func.count()).select_from(AuditTrailEntry).where(AuditTrailEntry.child_id == child)
    )


async def test_expired_rows_go_and_a_held_childs_rows_stay(client, runtime):
    f = await family(client)
    liva, friend = uuid_of(f["liva"]), uuid_of(f["friend"])
    for child in (f["liva"], f["friend"]):
        done = await client.gql(
            "UpdateChild", {"input": {"childId": child, "lastName": "Skov"}}, as_=SOLSIKKEN_ADMIN
        )
        assert done["updateChild"]["__typename"] == "Child", done
    await client.gql("SetPhotoConsent", {"childId": f["liva"], "level": "GROUP"}, as_=METTE)
    settings = await client.gql(
        "UpdateInstitutionSettings",
        {"institution": f["institution"], "input": {"auditTrailRetentionMonths": 12}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert settings["updateInstitutionSettings"]["__typename"] == "Institution", settings
    hers = await count(runtime, f["institution"], _rows(liva))
    his = await count(runtime, f["institution"], _rows(friend))
    assert hers >= 2 and his >= 1

    # Within the institution's twelve months nothing goes.
    report = await run(runtime, later=timedelta(days=11 * 31))
    assert report.kinds["audit trail"].deleted == 0
    assert await count(runtime, f["institution"], _rows(friend)) == his

    placed = await client.gql(
        "PlaceLegalHold", {"childId": f["liva"], "reason": "Tilsynssag 9"}, as_=SOLSIKKEN_ADMIN
    )
    hold = placed["placeLegalHold"]["id"]
    report = await run(runtime, later=timedelta(days=13 * 31))
    assert await count(runtime, f["institution"], _rows(friend)) == 0
    assert await count(runtime, f["institution"], _rows(liva)) == hers
    audit = report.kinds["audit trail"]
    assert audit.deleted >= his
    assert [(k.reason, k.subject, k.subject_id) for k in audit.kept] == [
        ("Tilsynssag 9", "child", liva)
    ]

    await client.gql("ReleaseLegalHold", {"legalHoldId": hold}, as_=SOLSIKKEN_ADMIN)
    report = await run(runtime, later=timedelta(days=13 * 31))
    assert await count(runtime, f["institution"], _rows(liva)) == 0
    assert report.kinds["audit trail"].kept == []
