"""The security matrix of the access log: only a child's custody holders and its institution's
admins read it; a stranger of another institution, another family's guardian, an
information-only guardian, the child's own staff and a paired device get null; a dead session
is UNAUTHENTICATED."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import SOLSIKKEN_ADMIN, child_id, institution_id
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
LIVA = "Liva Holm-Jensen"
NOT_CUSTODY = "jonas@example.com"
OWN_STAFF = "pernille@solsikken.example"


async def _cases(client) -> list[Case]:
    liva = await child_id(client, SOLSIKKEN_ADMIN, LIVA)
    institution = await institution_id(client, SOLSIKKEN_ADMIN)
    return [
        Case("ChildAccessLog", {"childId": liva, "since": SINCE}, null("childAccessLog")),
        Case(
            "InstitutionAccessLog",
            {"institutionId": institution, "since": SINCE},
            null("institutionAccessLog"),
        ),
    ]


async def test_the_access_log_is_refused_to_everyone_but_custody_holders_and_admins(client):
    cases = await _cases(client)
    outsiders = [*STRANGERS, await other_family_guardian(client), NOT_CUSTODY, OWN_STAFF]
    institution = await institution_id(client, SOLSIKKEN_ADMIN)
    await assert_refused(client, cases, outsiders, tokens=await device_tokens(client, institution))
    allowed = await client.gql(cases[0].operation, cases[0].variables, as_="mette@example.com")
    assert allowed["childAccessLog"] is not None
    admin = await client.gql(cases[1].operation, cases[1].variables, as_=SOLSIKKEN_ADMIN)
    assert admin["institutionAccessLog"] is not None


async def test_the_access_log_needs_a_live_session(client):
    await assert_unauthenticated(client, await _cases(client), await dead_sessions(client))
