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
    "dayEntryRetentionMonths": 12,
    "attendanceRetentionMonths": 36,
    "pickupRetentionMonths": 1,
    "childRecordRetentionMonths": 12,
    "accessLogRetentionMonths": 6,
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


async def test_retention_months_per_kind_are_bounded_and_the_access_log_keeps_its_floor(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)

    async def update(**changes: int) -> dict:
        data = await client.gql(
            "UpdateInstitutionSettings", {"institution": iid, "input": changes}, as_=SOLSIKKEN_ADMIN
        )
        return data["updateInstitutionSettings"]

    for field in (
        "dayEntryRetentionMonths",
        "attendanceRetentionMonths",
        "pickupRetentionMonths",
        "childRecordRetentionMonths",
    ):
        for bad in (0, 121):
            refused = await update(**{field: bad})
            assert (refused["code"], refused["field"]) == ("INVALID", field)
    # Below the legal minimum of the access log (app.config.ACCESS_LOG_MIN_RETENTION_MONTHS).
    refused = await update(accessLogRetentionMonths=5)
    assert refused["field"] == "accessLogRetentionMonths"
    assert refused["message"] == "Skal være mellem 6 og 120."
    changed = await update(dayEntryRetentionMonths=24, accessLogRetentionMonths=12)
    assert changed["settings"]["dayEntryRetentionMonths"] == 24
    assert changed["settings"]["accessLogRetentionMonths"] == 12


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
