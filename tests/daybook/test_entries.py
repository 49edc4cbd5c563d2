"""Single entries: staff record, the child's guardians read, typed errors write nothing,
corrections keep every version."""

from __future__ import annotations

from datetime import timedelta

from tests.daybook.helpers import (
    JONAS,
    KARSTEN,
    METTE,
    PERNILLE,
    at,
    day_of,
    record,
    solsikken,
    yesterday,
)
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, child_id

LUNCH_WELL = {"meal": {"meal": "LUNCH", "amount": "WELL"}}


async def test_staff_record_and_the_childs_guardians_read_the_day_in_time_order(client):
    ids = await solsikken(client)
    liva = ids["liva"]
    nap = await record(
        client, liva, {"sleep": {"endsAt": at(13, 40)}}, at=at(12, 10), note="Sov godt"
    )
    assert nap["__typename"] == "DayEntry", nap
    assert nap["details"] == {
        "__typename": "SleepDetails",
        "startsAt": nap["at"],
        "endsAt": nap["details"]["endsAt"],
        "minutes": 90,
    }
    meal = await record(client, liva, LUNCH_WELL, at=at(11, 30), note="Rugbrød med leverpostej")
    mood = await record(client, liva, {"mood": {"mood": "HAPPY"}}, at=at(9, 0), as_=KARSTEN)
    assert mood["recordedBy"] == "Karsten Lund"  # staff of another group may write too
    for reader in (METTE, JONAS, PERNILLE, SOLSIKKEN_ADMIN):
        day = await day_of(client, liva, as_=reader)
        assert [e["id"] for e in day["entries"]] == [mood["id"], meal["id"], nap["id"]], reader
        assert day["entries"][1]["details"] == {
            "__typename": "MealDetails",
            "meal": "LUNCH",
            "amount": "WELL",
        }
    # Another family, another institution, no session: nothing.
    for outsider in (ids["other_guardian"], REGNBUEN_ADMIN, "lars@regnbuen.example"):
        assert await day_of(client, liva, as_=outsider) is None, outsider
    payload = await client.execute("ChildDay", {"child": liva, "date": yesterday().isoformat()})
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_every_kind_with_its_typed_details(client):
    ids = await solsikken(client)
    liva = ids["liva"]
    karsten_staff = ids["staff"]["karsten@solsikken.example"]
    kinds = [
        ({"diaper": {"diaper": "BM"}}, {"diaper": "BM"}),
        (
            {"medication": {"medicine": "Panodil", "dose": "5 ml", "givenBy": karsten_staff}},
            {"medicine": "Panodil", "dose": "5 ml", "givenBy": "Karsten Lund"},
        ),
        (
            {"medication": {"medicine": "Næsespray", "dose": "1 pust"}},
            {"medicine": "Næsespray", "dose": "1 pust", "givenBy": "Pernille Holm"},
        ),
        ({"activity": {"description": "Tur i skoven"}}, {"description": "Tur i skoven"}),
        ({"note": {"text": "Husk regntøj"}}, {"text": "Husk regntøj"}),
        ({"sleep": {}}, {"endsAt": None, "minutes": None}),
    ]
    for minute, (details, expected) in enumerate(kinds):
        entry = await record(client, liva, details, at=at(10, minute))
        assert entry["__typename"] == "DayEntry", entry
        shown = {k: v for k, v in entry["details"].items() if k in expected}
        assert shown == expected


async def test_bad_input_is_a_typed_error_and_writes_nothing(client):
    ids = await solsikken(client)
    liva = ids["liva"]
    oscar = await child_id(client, REGNBUEN_ADMIN, "Oscar Holm-Jensen")
    cases = [
        ({"sleep": {"endsAt": at(12, 0)}}, {"at": at(13, 0)}, "details.sleep.endsAt"),
        (LUNCH_WELL, {"at": at(11, 0, yesterday() - timedelta(days=1))}, "at"),
        ({"sleep": {"endsAt": at(1, 0, yesterday() + timedelta(days=1))}}, {"at": at(13, 0)}, "details.sleep.endsAt"),
        (LUNCH_WELL, {"day": yesterday() + timedelta(days=2), "at": at(11, 0, yesterday() + timedelta(days=2))}, "day"),
        ({"note": {"text": "   "}}, {}, "details.note.text"),
        ({"incident": {"description": ""}}, {}, "details.incident.description"),
        ({"medication": {"medicine": "Panodil", "dose": ""}}, {}, "details.medication.dose"),
        ({"activity": {"description": "x" * 501}}, {}, "details.activity.description"),
    ]
    for details, extra, field in cases:
        result = await record(client, liva, details, **extra)
        assert result["__typename"] == "ValidationError", (details, result)
        assert result["field"] == field, (details, result)
    # A staff member of another institution as "given by": not found.
    lars = await record(
        client,
        liva,
        {"medication": {"medicine": "P", "dose": "1", "givenBy": "U3RhZmZNZW1iZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"}},
    )
    assert (lars["code"], lars["field"]) == ("NOT_FOUND", "details.medication.givenBy")
    # A child of another institution: not found, as if it did not exist.
    other = await record(client, oscar, LUNCH_WELL)
    assert (other["code"], other["field"]) == ("NOT_FOUND", "childId")
    # Two kinds at once, or an unknown value: refused before anything runs.
    for details in (
        {"meal": {"meal": "LUNCH", "amount": "WELL"}, "mood": {"mood": "HAPPY"}},
        {"mood": {"mood": "ANGRY"}},
    ):
        payload = await client.execute(
            "RecordDayEntry",
            {"input": {"childId": liva, "day": yesterday().isoformat(), "at": at(9), "details": details}},
            as_=PERNILLE,
        )
        assert payload["errors"] and payload.get("data") is None, payload
    assert (await day_of(client, liva, as_=PERNILLE))["entries"] == []


async def test_guardians_and_strangers_cannot_write(client):
    ids = await solsikken(client)
    for outsider in (METTE, JONAS, ids["other_guardian"], REGNBUEN_ADMIN, "lars@regnbuen.example"):
        result = await record(client, ids["liva"], LUNCH_WELL, as_=outsider)
        assert (result["code"], result["field"]) == ("NOT_FOUND", "childId"), outsider
    assert (await day_of(client, ids["liva"], as_=PERNILLE))["entries"] == []


async def test_corrections_keep_every_version(client):
    ids = await solsikken(client)
    liva = ids["liva"]
    meal = await record(client, liva, LUNCH_WELL, at=at(11, 30))
    corrected = (
        await client.gql(
            "CorrectDayEntry",
            {
                "input": {
                    "entryId": meal["id"],
                    "at": at(11, 45),
                    "details": {"meal": {"meal": "LUNCH", "amount": "LITTLE"}},
                    "note": "Var træt",
                }
            },
            as_=KARSTEN,
        )
    )["correctDayEntry"]
    assert corrected["version"] == 2 and corrected["corrected"] is True
    mette_day = await day_of(client, liva, as_=METTE)
    [seen] = mette_day["entries"]
    assert seen["details"]["amount"] == "LITTLE" and seen["corrected"] and seen["correctedAt"]
    history = (await client.gql("DayEntryHistory", {"id": meal["id"]}, as_=PERNILLE))["node"]
    assert [(v["version"], v["change"], v["changedBy"]) for v in history["history"]] == [
        (1, "CREATED", "Pernille Holm"),
        (2, "CORRECTED", "Karsten Lund"),
    ]
    assert history["history"][1]["changedFields"] == ["at", "note", "details.amount"]
    assert history["history"][0]["details"]["amount"] == "WELL"
    # Guardians see the current version, not the history.
    assert (await client.gql("DayEntryHistory", {"id": meal["id"]}, as_=METTE))["node"][
        "history"
    ] == []
    # The kind stays; a wrong kind is deleted and recorded anew.
    wrong = (
        await client.gql(
            "CorrectDayEntry",
            {"input": {"entryId": meal["id"], "at": at(11, 45), "details": {"mood": {"mood": "SAD"}}}},
            as_=PERNILLE,
        )
    )["correctDayEntry"]
    assert (wrong["__typename"], wrong["field"]) == ("ValidationError", "details")
    # Guardians and strangers cannot correct or delete.
    for outsider in (METTE, REGNBUEN_ADMIN):
        refused = (
            await client.gql(
                "CorrectDayEntry",
                {"input": {"entryId": meal["id"], "at": at(11, 45), "details": LUNCH_WELL}},
                as_=outsider,
            )
        )["correctDayEntry"]
        assert refused["code"] == "NOT_FOUND"
        gone = (await client.gql("DeleteDayEntry", {"entryId": meal["id"]}, as_=outsider))
        assert gone["deleteDayEntry"]["code"] == "NOT_FOUND"
    deleted = (await client.gql("DeleteDayEntry", {"entryId": meal["id"]}, as_=PERNILLE))[
        "deleteDayEntry"
    ]
    assert deleted["deletedAt"] and deleted["version"] == 3
    assert (await day_of(client, liva, as_=METTE))["entries"] == []
    assert (await client.gql("DayEntryHistory", {"id": meal["id"]}, as_=METTE))["node"] is None
    staff_day = await day_of(client, liva, as_=PERNILLE, includeDeleted=True)
    assert [e["id"] for e in staff_day["entries"]] == [meal["id"]]
    assert (await day_of(client, liva, as_=METTE, includeDeleted=True))["entries"] == []
    history = (await client.gql("DayEntryHistory", {"id": meal["id"]}, as_=PERNILLE))["node"]
    assert [v["change"] for v in history["history"]] == ["CREATED", "CORRECTED", "DELETED"]
    again = (await client.gql("DeleteDayEntry", {"entryId": meal["id"]}, as_=PERNILLE))
    assert again["deleteDayEntry"]["code"] == "NOT_FOUND"


async def test_a_range_of_days_and_its_limit(client):
    ids = await solsikken(client)
    liva = ids["liva"]
    before = yesterday() - timedelta(days=2)
    await record(client, liva, LUNCH_WELL, day=before, at=at(11, 0, before))
    await record(client, liva, LUNCH_WELL)
    days = (
        await client.gql(
            "ChildDays",
            {"child": liva, "start": before.isoformat(), "end": yesterday().isoformat()},
            as_=JONAS,
        )
    )["childDays"]
    assert [len(d["entries"]) for d in days] == [1, 0, 1]
    too_long = await client.execute(
        "ChildDays",
        {"child": liva, "start": (before - timedelta(days=40)).isoformat(), "end": before.isoformat()},
        as_=METTE,
    )
    assert too_long["errors"][0]["extensions"]["field"] == "to"


async def test_the_day_costs_the_same_statements_for_3_and_12_entries(client, assert_max_queries):
    ids = await solsikken(client)
    liva = ids["liva"]
    for minute in range(3):
        await record(client, liva, {"incident": {"description": f"Faldt {minute}"}}, at=at(9, minute))
    await client.token_for(METTE)
    with assert_max_queries(10) as few:  # signing in (6 on PostgreSQL), its scope, the day's 3
        day = await day_of(client, liva, as_=METTE)
    assert len(day["entries"]) == 3
    for minute in range(9):
        await record(client, liva, LUNCH_WELL if minute % 2 else {"medication": {"medicine": "P", "dose": "1"}}, at=at(10, minute))
    with assert_max_queries(few.count) as many:
        day = await day_of(client, liva, as_=METTE)
    assert len(day["entries"]) == 12
    assert many.count == few.count


async def test_a_guardian_with_access_none_sees_nothing_and_is_not_notified(client):
    from tests.helpers import overview

    ids = await solsikken(client)
    liva = ids["liva"]
    node = await overview(client, SOLSIKKEN_ADMIN)
    links = next(e["node"] for e in node["children"]["edges"] if e["node"]["id"] == liva)
    jonas_link = next(g["id"] for g in links["guardians"] if g["email"] == JONAS)
    changed = await client.gql(
        "UpdateGuardianLink",
        {"input": {"guardianLinkId": jonas_link, "access": "NONE"}},
        as_=SOLSIKKEN_ADMIN,
    )
    assert changed["updateGuardianLink"]["access"] == "NONE"
    incident = await record(client, liva, {"incident": {"description": "Faldt"}})
    assert [c["guardian"] for c in incident["details"]["confirmations"]] == ["Mette Holm-Jensen"]
    assert await day_of(client, liva, as_=JONAS) is None
    assert (await client.gql("Node", {"id": incident["id"]}, as_=JONAS))["node"] is None
    refused = await client.gql("ConfirmIncident", {"entryId": incident["id"]}, as_=JONAS)
    assert refused["confirmIncident"]["code"] == "NOT_FOUND"
