"""The security matrix of the audit trail: only the institution's admins read it; a stranger
admin or staff of another institution, the institution's own staff, a custody guardian of a
child in it, another family's guardian and a paired device get null; a dead session is
UNAUTHENTICATED. The admins of the other institution do not see this one's rows in their own
trail either."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, institution_id
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    device_tokens,
    null,
    other_family_guardian,
)

SINCE = (datetime.now(UTC) - timedelta(days=7)).isoformat()
CUSTODY = "mette@example.com"
OWN_STAFF = "pernille@solsikken.example"


async def _cases(client) -> list[Case]:
    institution = await institution_id(client, SOLSIKKEN_ADMIN)
    return [
        Case("AuditTrail", {"institutionId": institution, "since": SINCE}, null("auditTrail")),
    ]


async def test_the_audit_trail_is_refused_to_everyone_but_the_institutions_admins(client):
    institution = await institution_id(client, SOLSIKKEN_ADMIN)
    # A write to make the trail non-empty: a custody guardian answers the photo consent.
    me = await client.gql("Me", as_=CUSTODY)
    child = next(c["id"] for c in me["me"]["children"] if c["institution"]["id"] == institution)
    await client.gql("SetPhotoConsent", {"childId": child, "level": "GROUP"}, as_=CUSTODY)
    cases = await _cases(client)
    outsiders = [*STRANGERS, await other_family_guardian(client), CUSTODY, OWN_STAFF]
    await assert_refused(client, cases, outsiders, tokens=await device_tokens(client, institution))
    admin = await client.gql(cases[0].operation, cases[0].variables, as_=SOLSIKKEN_ADMIN)
    assert admin["auditTrail"]["edges"], admin
    other = await institution_id(client, REGNBUEN_ADMIN)
    theirs = await client.gql(
        "AuditTrail", {"institutionId": other, "since": SINCE}, as_=REGNBUEN_ADMIN
    )
    child_ids = {edge["node"]["childId"] for edge in theirs["auditTrail"]["edges"]}
    assert child not in child_ids


async def test_the_audit_trail_needs_a_live_session(client):
    await assert_unauthenticated(client, await _cases(client), await dead_sessions(client))
