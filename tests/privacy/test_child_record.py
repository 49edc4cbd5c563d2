"""The child's record (health data): custody holders with full access edit, information-only
guardians and the institution's staff read, nobody else; bad input is refused with a reason
and changes nothing; creating edits replay by their idempotency key."""

from __future__ import annotations

from tests.helpers import SOLSIKKEN_ADMIN
from tests.privacy.helpers import (
    CONSENT,
    JONAS,
    KARSTEN,
    LARS,
    METTE,
    PERNILLE,
    RECORD,
    REGNBUEN_ADMIN,
    fill_record,
    read,
    sign,
    solsikken,
)

GRANDPA = {"name": "Morfar Holm", "relation": "morfar", "phone": "+45 20 30 40 50"}


async def test_a_custody_holder_fills_it_and_the_right_people_read_it(client):
    s = await solsikken(client)
    liva = s["liva"]
    empty = await read(client, liva, METTE)
    assert empty is not None and empty["allergies"] == "" and empty["canEdit"] is True
    assert empty["updatedAt"] is None
    saved = await fill_record(client, liva)
    assert saved["__typename"] == "ChildRecord" and saved["allergies"] == RECORD["allergies"]
    contact = (
        await client.gql("AddEmergencyContact", {"childId": liva, "input": GRANDPA}, as_=METTE)
    )["addEmergencyContact"]
    assert contact["__typename"] == "EmergencyContact", contact
    consent = await sign(client, liva, instructions="Ved feber over 38,5")
    assert consent["__typename"] == "MedicationConsent", consent
    assert consent["signedBy"] == "Mette Holm-Jensen" and consent["signedAt"]
    for reader, can_edit in (
        (METTE, True),
        (JONAS, False),
        (PERNILLE, False),
        (KARSTEN, False),
        (SOLSIKKEN_ADMIN, False),
    ):
        seen = await read(client, liva, reader)
        assert seen is not None, reader
        assert seen["canEdit"] is can_edit, reader
        assert {k: seen[k] for k in RECORD} == RECORD, reader
        assert [c["name"] for c in seen["emergencyContacts"]] == ["Morfar Holm"]
        (listed,) = seen["medicationConsents"]
        assert listed["medicine"] == "Panodil junior" and listed["dose"] == "250 mg"
        assert listed["signedBy"] == "Mette Holm-Jensen" and listed["withdrawnAt"] is None


async def test_nobody_else_reads_it(client):
    s = await solsikken(client)
    await fill_record(client, s["liva"])
    other_family = s["others"][0]["guardians"][0]["email"]
    for outsider in (other_family, REGNBUEN_ADMIN, LARS):
        assert await read(client, s["liva"], outsider) is None, outsider
    # Mette's other child is in Regnbuen: Lars reads Oscar's, never Liva's.
    oscar = next(
        c["child"]["id"]
        for c in (await client.gql("MyChildrenToday", as_=METTE))["myChildrenToday"]
        if c["child"]["name"] == "Oscar Holm-Jensen"
    )
    assert await read(client, oscar, LARS) is not None


async def test_information_only_guardians_and_staff_cannot_change_it(client):
    s = await solsikken(client)
    liva = s["liva"]
    await fill_record(client, liva)
    consent = await sign(client, liva)
    contact = (
        await client.gql("AddEmergencyContact", {"childId": liva, "input": GRANDPA}, as_=METTE)
    )["addEmergencyContact"]
    for actor in (JONAS, PERNILLE, SOLSIKKEN_ADMIN):
        tries = {
            "setChildRecord": await client.gql(
                "SetChildRecord", {"childId": liva, "input": {"allergies": "ingen"}}, as_=actor
            ),
            "addEmergencyContact": await client.gql(
                "AddEmergencyContact", {"childId": liva, "input": GRANDPA}, as_=actor
            ),
            "updateEmergencyContact": await client.gql(
                "UpdateEmergencyContact",
                {"emergencyContactId": contact["id"], "input": {**GRANDPA, "name": "X"}},
                as_=actor,
            ),
            "removeEmergencyContact": await client.gql(
                "RemoveEmergencyContact", {"emergencyContactId": contact["id"]}, as_=actor
            ),
            "signMedicationConsent": await client.gql(
                "SignMedicationConsent", {"childId": liva, "input": CONSENT}, as_=actor
            ),
            "withdrawMedicationConsent": await client.gql(
                "WithdrawMedicationConsent", {"medicationConsentId": consent["id"]}, as_=actor
            ),
        }
        for field, answer in tries.items():
            assert answer[field]["code"] == "NOT_FOUND", (actor, field, answer)
    seen = await read(client, liva, METTE)
    assert seen is not None and seen["allergies"] == RECORD["allergies"]
    assert [c["name"] for c in seen["emergencyContacts"]] == ["Morfar Holm"]
    assert [c["withdrawnAt"] for c in seen["medicationConsents"]] == [None]


async def test_bad_input_is_refused_with_a_reason_and_changes_nothing(client):
    s = await solsikken(client)
    liva = s["liva"]
    await fill_record(client, liva)
    record_cases = [
        ({"doctorPhone": "ring til mig"}, "doctorPhone", "INVALID_PHONE"),
        ({"allergies": "x" * 2001}, "allergies", "TOO_LONG"),
        ({"staffNotes": "x" * 4001}, "staffNotes", "TOO_LONG"),
    ]
    for change, field, reason in record_cases:
        answer = (
            await client.gql(
                "SetChildRecord", {"childId": liva, "input": {**RECORD, **change}}, as_=METTE
            )
        )["setChildRecord"]
        assert (answer["code"], answer["field"], answer["reason"]) == ("INVALID", field, reason)
        assert answer["message"]
    contact_cases = [
        ({**GRANDPA, "name": "  "}, "name", "REQUIRED"),
        ({**GRANDPA, "phone": ""}, "phone", "REQUIRED"),
        ({**GRANDPA, "phone": "ring"}, "phone", "INVALID_PHONE"),
        ({**GRANDPA, "phone": "+45 12 34 56 78"}, "phone", "INVALID_PHONE"),  # no such number
    ]
    for contact, field, reason in contact_cases:
        answer = (
            await client.gql("AddEmergencyContact", {"childId": liva, "input": contact}, as_=METTE)
        )["addEmergencyContact"]
        assert (answer["field"], answer["reason"]) == (field, reason)
    consent_cases = [
        ({"medicine": " "}, "medicine", "REQUIRED"),
        ({"dose": ""}, "dose", "REQUIRED"),
        ({"validFrom": "2030-02-01", "validUntil": "2030-01-01"}, "validUntil", "PERIOD_ORDER"),
        ({"instructions": "x" * 1001}, "instructions", "TOO_LONG"),
    ]
    for change, field, reason in consent_cases:
        answer = await sign(client, liva, **change)
        assert (answer["field"], answer["reason"]) == (field, reason)
    seen = await read(client, liva, METTE)
    assert seen is not None
    assert {k: seen[k] for k in RECORD} == RECORD
    assert seen["emergencyContacts"] == [] and seen["medicationConsents"] == []


async def test_edits_replace_update_remove_and_withdraw(client):
    s = await solsikken(client)
    liva = s["liva"]
    await fill_record(client, liva)
    cleared = await fill_record(client, liva, allergies="", diet="  Vegetar  ")
    assert cleared["allergies"] == "" and cleared["diet"] == "Vegetar"
    contact = (
        await client.gql("AddEmergencyContact", {"childId": liva, "input": GRANDPA}, as_=METTE)
    )["addEmergencyContact"]
    updated = (
        await client.gql(
            "UpdateEmergencyContact",
            {"emergencyContactId": contact["id"], "input": {**GRANDPA, "phone": "+45 31 22 33 44"}},
            as_=METTE,
        )
    )["updateEmergencyContact"]
    assert updated["phone"] == "+4531223344"
    removed = await client.gql(
        "RemoveEmergencyContact", {"emergencyContactId": contact["id"]}, as_=METTE
    )
    assert removed["removeEmergencyContact"]["__typename"] == "ChildRecordDone"
    consent = await sign(client, liva)
    withdrawn = (
        await client.gql(
            "WithdrawMedicationConsent", {"medicationConsentId": consent["id"]}, as_=METTE
        )
    )["withdrawMedicationConsent"]
    assert withdrawn["withdrawnAt"] and withdrawn["withdrawnBy"] == "Mette Holm-Jensen"
    again = (
        await client.gql(
            "WithdrawMedicationConsent", {"medicationConsentId": consent["id"]}, as_=METTE
        )
    )["withdrawMedicationConsent"]
    assert again["withdrawnAt"] == withdrawn["withdrawnAt"]
    seen = await read(client, liva, PERNILLE)
    assert seen is not None and seen["emergencyContacts"] == []
    assert [c["withdrawnBy"] for c in seen["medicationConsents"]] == ["Mette Holm-Jensen"]


async def test_creating_edits_replay_by_their_idempotency_key(client):
    s = await solsikken(client)
    liva = s["liva"]
    first = await client.execute(
        "AddEmergencyContact",
        {"childId": liva, "input": GRANDPA, "idempotencyKey": "contact-1"},
        as_=METTE,
    )
    retry = await client.execute(
        "AddEmergencyContact",
        {"childId": liva, "input": GRANDPA, "idempotencyKey": "contact-1"},
        as_=METTE,
    )
    assert retry["data"] == first["data"]
    assert retry["extensions"]["idempotency"]["addEmergencyContact"]["replayed"] is True
    reused = await client.gql(
        "AddEmergencyContact",
        {"childId": liva, "input": {**GRANDPA, "name": "Mormor"}, "idempotencyKey": "contact-1"},
        as_=METTE,
    )
    assert reused["addEmergencyContact"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    signed = [
        await client.gql(
            "SignMedicationConsent",
            {"childId": liva, "input": CONSENT, "idempotencyKey": "consent-1"},
            as_=METTE,
        )
        for _ in range(2)
    ]
    assert signed[0] == signed[1]
    assert signed[0]["signMedicationConsent"]["signedBy"] == "Mette Holm-Jensen"
    seen = await read(client, liva, METTE)
    assert seen is not None
    assert len(seen["emergencyContacts"]) == 1 and len(seen["medicationConsents"]) == 1


async def test_reading_it_costs_the_same_whatever_its_size(client, assert_max_queries):
    s = await solsikken(client)
    liva = s["liva"]
    await fill_record(client, liva)
    await client.gql("ChildRecord", {"childId": liva}, as_=PERNILLE)  # the login is cached
    with assert_max_queries(12) as small:
        await client.gql("ChildRecord", {"childId": liva}, as_=PERNILLE)
    for number in range(15):
        await client.gql(
            "AddEmergencyContact",
            {"childId": liva, "input": {**GRANDPA, "name": f"Kontakt {number}"}},
            as_=METTE,
        )
        await sign(client, liva, medicine=f"Medicin {number}")
    with assert_max_queries(small.count) as large:
        seen = await client.gql("ChildRecord", {"childId": liva}, as_=PERNILLE)
    assert len(seen["childRecord"]["medicationConsents"]) == 15
    assert large.count == small.count
