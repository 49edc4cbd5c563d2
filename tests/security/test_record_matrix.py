"""The security matrix of the child's record and the group's contact list. Another
institution's admin and staff, another family's guardian, Solsikken's own kiosk and tablet
with nobody switched in: no record, no contact list, no edit (NOT_FOUND, as if nothing
existed); Liva's father (information only) reads but changes nothing; no session, a revoked
one and a made-up token are UNAUTHENTICATED; nothing changes."""

from __future__ import annotations

from typing import Any

from tests.privacy.helpers import (
    CONSENT,
    JONAS,
    METTE,
    PERNILLE,
    RECORD,
    fill_record,
    read,
    sign,
    solsikken,
)
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    device_tokens,
    empty,
    not_found,
    null,
)

CONTACT = {"name": "Morfar Holm", "phone": "+45 20 30 40 50"}
SHOW_ALL = {"showName": True, "showPhone": True, "showEmail": True}


async def _set_up(client: Any) -> dict[str, Any]:
    s = await solsikken(client)
    await fill_record(client, s["liva"])
    contact = (
        await client.gql("AddEmergencyContact", {"childId": s["liva"], "input": CONTACT}, as_=METTE)
    )["addEmergencyContact"]
    consent = await sign(client, s["liva"])
    shared = await client.gql(
        "SetContactSharing", {"childId": s["liva"], "input": SHOW_ALL}, as_=METTE
    )
    assert shared["setContactSharing"]["__typename"] == "ContactSharing"
    return {**s, "contact": contact["id"], "consent": consent["id"]}


def _reads(s: dict[str, Any]) -> list[Case]:
    return [
        Case("ChildRecord", {"childId": s["liva"]}, null("childRecord")),
        Case("GroupContacts", {"groupId": s["bears_group"]}, empty("groupContacts")),
        Case("ContactSharing", {"childId": s["liva"]}, null("contactSharing")),
    ]


def _mutations(s: dict[str, Any]) -> list[Case]:
    return [
        Case(
            "SetChildRecord",
            {"childId": s["liva"], "input": {"allergies": "ingen"}},
            not_found("setChildRecord"),
        ),
        Case(
            "AddEmergencyContact",
            {"childId": s["liva"], "input": CONTACT},
            not_found("addEmergencyContact"),
        ),
        Case(
            "UpdateEmergencyContact",
            {"emergencyContactId": s["contact"], "input": {**CONTACT, "name": "X"}},
            not_found("updateEmergencyContact"),
        ),
        Case(
            "RemoveEmergencyContact",
            {"emergencyContactId": s["contact"]},
            not_found("removeEmergencyContact"),
        ),
        Case(
            "SignMedicationConsent",
            {"childId": s["liva"], "input": CONSENT},
            not_found("signMedicationConsent"),
        ),
        Case(
            "WithdrawMedicationConsent",
            {"medicationConsentId": s["consent"]},
            not_found("withdrawMedicationConsent"),
        ),
        Case(
            "SetContactSharing",
            {"childId": s["liva"], "input": {"showName": False}},
            not_found("setContactSharing"),
        ),
    ]


async def _unchanged(client: Any, s: dict[str, Any]) -> None:
    seen = await read(client, s["liva"], METTE)
    assert seen is not None
    assert {k: seen[k] for k in RECORD} == RECORD
    assert [c["name"] for c in seen["emergencyContacts"]] == ["Morfar Holm"]
    assert [(c["medicine"], c["withdrawnAt"]) for c in seen["medicationConsents"]] == [
        (CONSENT["medicine"], None)
    ]
    mine = await client.gql("ContactSharing", {"childId": s["liva"]}, as_=METTE)
    assert mine["contactSharing"]["showName"] is True


async def test_outsiders_read_nothing_and_change_nothing(client):
    s = await _set_up(client)
    other_family = s["others"][0]["guardians"][0]["email"]
    tokens = await device_tokens(client, s["institution"])
    # The other family is a guardian in Bjørnene: the contact list is theirs to read.
    await assert_refused(client, _reads(s)[:1] + _reads(s)[2:], [other_family])
    await assert_refused(client, _reads(s), STRANGERS, tokens=tokens)
    await assert_refused(client, _mutations(s), [*STRANGERS, other_family], tokens=tokens)
    await _unchanged(client, s)


async def test_information_only_and_staff_read_the_record_but_never_change_it(client):
    s = await _set_up(client)
    for reader in (JONAS, PERNILLE):
        assert await read(client, s["liva"], reader) is not None
    # Jonas decides his own contact sharing (he is a guardian); the record's edits are not his.
    record_edits = [c for c in _mutations(s) if c.operation != "SetContactSharing"]
    await assert_refused(client, record_edits, [JONAS, PERNILLE])
    await _unchanged(client, s)


async def test_without_a_live_session_everything_is_unauthenticated(client):
    s = await _set_up(client)
    await assert_unauthenticated(client, _reads(s) + _mutations(s), await dead_sessions(client))
    await _unchanged(client, s)
