"""Institution settings: typed defaults, changed by admins only, validated as a whole."""

from __future__ import annotations

from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, institution_id

DEFAULTS = {
    "pickupChangeCutoffMinutes": 60,
    "guardiansMayMessageGuardians": False,
    "sharedInboxSenderShownToGuardians": "GROUP",
    "messageRetentionMonths": 24,
    "photoConsentDefault": "OWN_GUARDIANS",
    "groupSharingRequiresConsent": True,
    "photoRetentionMonths": 6,
    "urgentSmsEnabled": False,
    "smsMonthlyCap": 200,
    "custodyLessGuardiansMayConfirm": False,
}


async def test_defaults_and_a_partial_update(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    seen = (await client.gql("InstitutionSettings", {"id": iid}, as_="mette@example.com"))["node"]
    assert seen["settings"] == DEFAULTS
    changed = (
        await client.gql(
            "UpdateInstitutionSettings",
            {
                "institution": iid,
                "input": {"pickupChangeCutoffMinutes": 30, "photoConsentDefault": "NONE"},
            },
            as_=SOLSIKKEN_ADMIN,
        )
    )["updateInstitutionSettings"]
    assert changed["settings"] == {
        **DEFAULTS,
        "pickupChangeCutoffMinutes": 30,
        "photoConsentDefault": "NONE",
    }
    again = (await client.gql("InstitutionSettings", {"id": iid}, as_=SOLSIKKEN_ADMIN))["node"]
    assert again["settings"]["pickupChangeCutoffMinutes"] == 30


async def test_out_of_range_changes_nothing(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    bad = (
        await client.gql(
            "UpdateInstitutionSettings",
            {
                "institution": iid,
                "input": {"guardiansMayMessageGuardians": True, "messageRetentionMonths": 0},
            },
            as_=SOLSIKKEN_ADMIN,
        )
    )["updateInstitutionSettings"]
    assert bad["code"] == "INVALID" and bad["field"] == "messageRetentionMonths"
    assert "1" in bad["message"] and "120" in bad["message"]
    seen = (await client.gql("InstitutionSettings", {"id": iid}, as_=SOLSIKKEN_ADMIN))["node"]
    assert seen["settings"] == DEFAULTS


async def test_only_its_admins_change_settings(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    for stranger in (REGNBUEN_ADMIN, "pernille@solsikken.example", "mette@example.com"):
        answer = (
            await client.gql(
                "UpdateInstitutionSettings",
                {"institution": iid, "input": {"photoRetentionMonths": 12}},
                as_=stranger,
            )
        )["updateInstitutionSettings"]
        assert answer["code"] == "NOT_FOUND"
    assert (await client.gql("InstitutionSettings", {"id": iid}, as_=REGNBUEN_ADMIN))[
        "node"
    ] is None
