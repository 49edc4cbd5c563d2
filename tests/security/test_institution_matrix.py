"""The security matrix of what is left around the institution and the account: settings and
closed days (its admins write them; strangers see nothing), sessions (nobody revokes or lists
another's), notification settings and the account's own operations (a live session only)."""

from __future__ import annotations

from tests.helpers import SOLSIKKEN_ADMIN, institution_id
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    not_found,
    null,
    other_family_guardian,
    without,
)

PERNILLE = "pernille@solsikken.example"
METTE = "mette@example.com"
JONAS = "jonas@example.com"


async def _closed_day(client) -> tuple[str, str]:
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    made = await client.gql(
        "AddClosedDay", {"institutionId": iid, "day": "2099-06-05"}, as_=SOLSIKKEN_ADMIN
    )
    return iid, made["addClosedDay"]["id"]


def _admin_mutations(iid: str, closed_day: str) -> list[Case]:
    return [
        Case(
            "UpdateInstitutionSettings",
            {"institution": iid, "input": {"photoRetentionMonths": 12}},
            not_found("updateInstitutionSettings"),
        ),
        Case(
            "AddClosedDay",
            {"institutionId": iid, "day": "2099-06-06"},
            not_found("addClosedDay"),
        ),
        Case("RemoveClosedDay", {"closedDayId": closed_day}, not_found("removeClosedDay")),
    ]


async def test_settings_and_closed_days_are_the_admins(client):
    iid, closed_day = await _closed_day(client)
    insiders = [PERNILLE, METTE, await other_family_guardian(client)]
    await assert_refused(client, _admin_mutations(iid, closed_day), [*STRANGERS, *insiders])
    reads = [
        Case("InstitutionSettings", {"id": iid}, null("node")),
        Case("ClosedDays", {"institutionId": iid}, null("node")),
    ]
    await assert_refused(client, reads, STRANGERS)
    # Nothing changed.
    seen = await client.gql("ClosedDays", {"institutionId": iid}, as_=SOLSIKKEN_ADMIN)
    assert [d["id"] for d in seen["node"]["closedDays"]] == [closed_day]
    settings = await client.gql("InstitutionSettings", {"id": iid}, as_=SOLSIKKEN_ADMIN)
    assert settings["node"]["settings"]["photoRetentionMonths"] != 12


async def test_nobody_lists_or_revokes_anothers_session(client):
    await client.token_for(JONAS)
    sessions = (await client.gql("MySessions", as_=JONAS))["mySessions"]
    ids = [s["id"] for s in sessions]
    cases = [
        Case("RevokeSession", {"sessionId": ids[0]}, not_found("revokeSession")),
        Case("MySessions", {}, without("mySessions", "id", ids)),
    ]
    await assert_refused(client, cases, [*STRANGERS, METTE, SOLSIKKEN_ADMIN])
    assert (await client.gql("Me", as_=JONAS))["me"]["email"] == JONAS  # still signed in


async def test_the_accounts_own_operations_need_a_live_session(client):
    iid, closed_day = await _closed_day(client)
    cases = [
        *_admin_mutations(iid, closed_day),
        Case("InstitutionSettings", {"id": iid}),
        Case("ClosedDays", {"institutionId": iid}),
        Case("Me", {}),
        Case("MySessions", {}),
        Case("RevokeSession", {"sessionId": "x"}),
        Case("ChangePassword", {"currentPassword": "seddel-demo", "newPassword": "x" * 16}),
        Case("Logout", {}),
        Case("NotificationSettings", {}),
        Case("UpdateNotificationSettings", {"input": {"pushEnabled": False}}),
    ]
    await assert_unauthenticated(client, cases, await dead_sessions(client))
