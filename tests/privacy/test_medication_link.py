"""The daily log's medication entries name the medication consent they follow: the child's
own, in force when the medicine was given; a group's bulk entry cannot name one (a consent
is one child's)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.daybook.helpers import CPH, at, record, yesterday
from tests.privacy.helpers import METTE, PERNILLE, read, sign, solsikken


async def _medication_of(client, child: str) -> list[dict]:
    data = await client.gql(
        "ChildDayMedication", {"child": child, "date": yesterday().isoformat()}, as_=PERNILLE
    )
    return [e["details"] for e in data["childDay"]["entries"] if e["kind"] == "MEDICATION"]


async def test_an_entry_names_the_consent_and_the_record_shows_it(client):
    s = await solsikken(client)
    consent = await sign(client, s["liva"])
    entry = await record(
        client,
        s["liva"],
        {
            "medication": {
                "medicine": "Panodil junior",
                "dose": "250 mg",
                "consentId": consent["id"],
            }
        },
    )
    assert entry["__typename"] == "DayEntry", entry
    (details,) = await _medication_of(client, s["liva"])
    assert details["consentId"] == consent["id"] and details["givenBy"] == "Pernille Holm"
    seen = await read(client, s["liva"], PERNILLE)
    assert seen is not None and [c["id"] for c in seen["medicationConsents"]] == [consent["id"]]
    # An entry may still name none (medicine given on a doctor's paper, say).
    plain = await record(client, s["liva"], {"medication": {"medicine": "Creme", "dose": "lidt"}})
    assert plain["__typename"] == "DayEntry"
    assert {d["consentId"] for d in await _medication_of(client, s["liva"])} == {
        consent["id"],
        None,
    }


async def test_a_correction_may_add_the_consent(client):
    s = await solsikken(client)
    consent = await sign(client, s["liva"])
    entry = await record(client, s["liva"], {"medication": {"medicine": "Panodil", "dose": "5 ml"}})
    corrected = await client.gql(
        "CorrectDayEntry",
        {
            "input": {
                "entryId": entry["id"],
                "at": at(11, 30),
                "details": {
                    "medication": {
                        "medicine": "Panodil",
                        "dose": "5 ml",
                        "consentId": consent["id"],
                    }
                },
            }
        },
        as_=PERNILLE,
    )
    assert corrected["correctDayEntry"]["__typename"] == "DayEntry", corrected
    (details,) = await _medication_of(client, s["liva"])
    assert details["consentId"] == consent["id"]


async def test_another_childs_or_a_consent_not_in_force_is_refused(client):
    s = await solsikken(client)
    neighbour = s["others"][0]
    theirs = await sign(client, neighbour["id"], as_=neighbour["guardians"][0]["email"])
    assert theirs["__typename"] == "MedicationConsent", theirs
    today = datetime.now(CPH).date()
    later = await sign(client, s["liva"], validFrom=today.isoformat())
    ended = await sign(
        client,
        s["liva"],
        validFrom="2020-01-01",
        validUntil=(today - timedelta(days=2)).isoformat(),
    )
    withdrawn = await sign(client, s["liva"])
    await client.gql(
        "WithdrawMedicationConsent", {"medicationConsentId": withdrawn["id"]}, as_=METTE
    )
    cases = [
        (theirs["id"], "NOT_FOUND", "NOT_FOUND"),
        (later["id"], "INVALID", "MEDICATION_CONSENT_NOT_IN_FORCE"),
        (ended["id"], "INVALID", "MEDICATION_CONSENT_NOT_IN_FORCE"),
    ]
    # Given after the withdrawal (a tablet's clock may run a few minutes ahead).
    soon = datetime.now(CPH) + timedelta(minutes=2)
    if soon.date() == today:
        cases.append((withdrawn["id"], "INVALID", "MEDICATION_CONSENT_NOT_IN_FORCE", soon))
    for consent_id, code, reason, *when in cases:
        given = when[0] if when else None
        payload = await client.execute(
            "RecordDayEntry",
            {
                "input": {
                    "childId": s["liva"],
                    "day": (given.date() if given else yesterday()).isoformat(),
                    "at": given.isoformat() if given else at(11, 30),
                    "details": {
                        "medication": {"medicine": "X", "dose": "1", "consentId": consent_id}
                    },
                }
            },
            as_=PERNILLE,
            query=_WITH_REASON,
        )
        answer = payload["data"]["recordDayEntry"]
        assert (answer["code"], answer["reason"]) == (code, reason), (consent_id, answer)
        assert answer["field"] == "details.medication.consentId"
    assert await _medication_of(client, s["liva"]) == []
    # Given yesterday, before it was withdrawn: the withdrawn consent still covers that.
    before = await record(
        client,
        s["liva"],
        {"medication": {"medicine": "X", "dose": "1", "consentId": withdrawn["id"]}},
    )
    assert before["__typename"] == "DayEntry", before


async def test_a_group_entry_cannot_name_one_childs_consent(client):
    s = await solsikken(client)
    consent = await sign(client, s["liva"])
    answer = await client.execute(
        "RecordGroupEntries",
        {
            "input": {
                "groupId": s["bears_group"],
                "day": yesterday().isoformat(),
                "at": at(11, 30),
                "details": {
                    "medication": {"medicine": "X", "dose": "1", "consentId": consent["id"]}
                },
            }
        },
        as_=PERNILLE,
    )
    result = answer["data"]["recordGroupEntries"]
    assert result["code"] == "INVALID", result
    assert await _medication_of(client, s["liva"]) == []


_WITH_REASON = """
mutation RecordDayEntry($input: RecordDayEntryInput!) {
  recordDayEntry(input: $input) {
    __typename
    ... on UserError { code field reason }
  }
}
"""
