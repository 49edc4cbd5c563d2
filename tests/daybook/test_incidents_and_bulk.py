"""Incidents reach the guardians at once and each confirms; bulk entries for a group."""

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
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN

FALL = {"incident": {"description": "Faldt på legepladsen, slog knæet", "firstAid": "Plaster og is"}}


def _confirmations(entry):
    return sorted(
        (c["guardian"], c["confirmedVersion"], c["isCurrent"])
        for c in entry["details"]["confirmations"]
    )


async def test_guardians_are_notified_and_each_confirms_the_current_version(client):
    ids = await solsikken(client)
    liva = ids["liva"]
    incident = await record(client, liva, FALL, at=at(10, 15))
    assert incident["__typename"] == "DayEntry", incident
    assert _confirmations(incident) == [
        ("Jonas Jensen", None, False),
        ("Mette Holm-Jensen", None, False),
    ]
    [mine] = (await day_of(client, liva, as_=METTE))["entries"]
    assert mine["details"]["needsMyConfirmation"] is True
    assert [c["guardian"] for c in mine["details"]["confirmations"]] == ["Mette Holm-Jensen"]
    confirmed = (await client.gql("ConfirmIncident", {"entryId": incident["id"]}, as_=METTE))[
        "confirmIncident"
    ]
    assert confirmed["details"]["needsMyConfirmation"] is False
    [staff_view] = (await day_of(client, liva, as_=PERNILLE))["entries"]
    assert _confirmations(staff_view) == [
        ("Jonas Jensen", None, False),
        ("Mette Holm-Jensen", 1, True),
    ]
    # Jonas (information only) is told too and confirms.
    jonas = (await client.gql("ConfirmIncident", {"entryId": incident["id"]}, as_=JONAS))
    assert jonas["confirmIncident"]["__typename"] == "DayEntry"
    # A correction asks for a new confirmation.
    await client.gql(
        "CorrectDayEntry",
        {
            "input": {
                "entryId": incident["id"],
                "at": at(10, 15),
                "details": {"incident": {"description": "Faldt, slog knæ og albue", "firstAid": "Plaster"}},
            }
        },
        as_=PERNILLE,
    )
    [after] = (await day_of(client, liva, as_=METTE))["entries"]
    assert after["corrected"] and after["details"]["needsMyConfirmation"] is True
    [staff_view] = (await day_of(client, liva, as_=SOLSIKKEN_ADMIN))["entries"]
    assert _confirmations(staff_view) == [
        ("Jonas Jensen", 1, False),
        ("Mette Holm-Jensen", 1, False),
    ]
    # Only the child's guardians confirm; to anyone else it does not exist.
    staff = (await client.gql("ConfirmIncident", {"entryId": incident["id"]}, as_=PERNILLE))
    assert staff["confirmIncident"]["field"] == "entryId"
    for outsider in (ids["other_guardian"], REGNBUEN_ADMIN):
        refused = await client.gql("ConfirmIncident", {"entryId": incident["id"]}, as_=outsider)
        assert refused["confirmIncident"]["code"] == "NOT_FOUND"
    meal = await record(client, liva, {"meal": {"meal": "LUNCH", "amount": "WELL"}})
    not_incident = await client.gql("ConfirmIncident", {"entryId": meal["id"]}, as_=METTE)
    assert not_incident["confirmIncident"]["code"] == "NOT_FOUND"


async def test_an_incident_puts_each_guardian_in_the_outbox_without_its_text(client, runtime):
    from strawberry.relay import GlobalID

    from tests.notifications.helpers import outbox, user_id

    ids = await solsikken(client)
    incident = await record(client, ids["liva"], FALL, at=at(10, 15))
    entry_id = GlobalID.from_id(incident["id"]).node_id
    rows = await outbox(runtime, kind="incident")
    mine = [r for r in rows if str(r.subject_id) == entry_id]
    wanted = {await user_id(runtime, METTE), await user_id(runtime, JONAS)}
    assert {r.user_id for r in mine} == wanted
    assert {r.link for r in mine} == {f"/daybook/{entry_id}"}
    assert all(r.preview is None for r in mine)  # health data stays off lock screens
    await client.gql(
        "CorrectDayEntry",
        {
            "input": {
                "entryId": incident["id"],
                "at": at(10, 15),
                "details": {"incident": {"description": "Faldt, slog albuen"}},
            }
        },
        as_=PERNILLE,
    )
    corrected = await outbox(runtime, kind="incident_corrected")
    assert {r.user_id for r in corrected if r.link == f"/daybook/{entry_id}"} == wanted


async def test_incidents_are_never_recorded_in_bulk(client):
    ids = await solsikken(client)
    result = await _bulk(client, ids, FALL)
    assert (result["__typename"], result["field"]) == ("ValidationError", "details")


async def _bulk(client, ids, details, *, as_=PERNILLE, **extra):
    data = await client.gql(
        "RecordGroupEntries",
        {
            "input": {
                "groupId": ids["group"],
                "day": yesterday().isoformat(),
                "at": at(11, 30),
                "details": details,
                **extra,
            }
        },
        as_=as_,
    )
    return data["recordGroupEntries"]


async def test_lunch_for_the_group_with_exceptions_exclusions_and_absences(client, assert_max_queries):
    ids = await solsikken(client)
    bears = ids["bears"]
    names = sorted(n for n in bears if n != "Liva Holm-Jensen")
    absent, left_out = bears[names[0]], bears[names[1]]
    sick = await client.gql(
        "RegisterAbsence",
        {"childId": absent["id"], "kind": "SICK", "fromDay": yesterday().isoformat()},
        as_=PERNILLE,
    )
    assert sick["registerAbsence"]["__typename"] == "Absence"
    await client.token_for(PERNILLE)
    with assert_max_queries(10):
        result = await _bulk(
            client,
            ids,
            {"meal": {"meal": "LUNCH", "amount": "WELL"}},
            note="Fiskefrikadeller",
            exceptions=[
                {"childId": ids["liva"], "details": {"meal": {"meal": "LUNCH", "amount": "LITTLE"}}, "note": "Ville hellere lege"}
            ],
            excluded=[left_out["id"]],
        )
    assert result["__typename"] == "GroupEntries", result
    assert [c["name"] for c in result["absent"]] == [names[0]]
    assert [c["name"] for c in result["excluded"]] == [names[1]]
    by_child = {e["child"]["name"]: e for e in result["entries"]}
    assert len(by_child) == len(bears) - 2
    assert by_child["Liva Holm-Jensen"]["details"]["amount"] == "LITTLE"
    assert by_child["Liva Holm-Jensen"]["note"] == "Ville hellere lege"
    assert {e["details"]["amount"] for n, e in by_child.items() if n != "Liva Holm-Jensen"} == {"WELL"}
    assert {e["note"] for n, e in by_child.items() if n != "Liva Holm-Jensen"} == {"Fiskefrikadeller"}
    [liva_meal] = (await day_of(client, ids["liva"], as_=METTE))["entries"]
    assert liva_meal["details"]["amount"] == "LITTLE"
    assert (await day_of(client, absent["id"], as_=PERNILLE))["entries"] == []


async def test_bulk_bad_input_writes_nothing(client):
    ids = await solsikken(client)
    lunch = {"meal": {"meal": "LUNCH", "amount": "WELL"}}
    cases = [
        ({"exceptions": [{"childId": ids["ant"]}]}, "exceptions.0.childId"),
        ({"excluded": [ids["ant"]]}, "excluded.0"),
        ({"exceptions": [{"childId": ids["liva"], "details": {"mood": {"mood": "SAD"}}}]}, "exceptions.0.details"),
        ({"exceptions": [{"childId": ids["liva"]}], "excluded": [ids["liva"]]}, "exceptions.0.childId"),
        ({"at": at(11, 0, yesterday() - timedelta(days=1))}, "at"),
    ]
    for extra, field in cases:
        result = await _bulk(client, ids, lunch, **extra)
        assert (result["__typename"], result["field"]) == ("ValidationError", field), (extra, result)
    sleep = await _bulk(
        client,
        ids,
        {"sleep": {"endsAt": at(13, 0)}},
        exceptions=[{"childId": ids["liva"], "details": {"sleep": {"endsAt": at(11, 0)}}}],
    )
    assert (sleep["__typename"], sleep["field"]) == ("ValidationError", "exceptions.0.details.sleep.endsAt")
    for outsider in (METTE, REGNBUEN_ADMIN, "lars@regnbuen.example"):
        refused = await _bulk(client, ids, lunch, as_=outsider)
        assert (refused["code"], refused["field"]) == ("NOT_FOUND", "groupId"), outsider
    assert (await day_of(client, ids["liva"], as_=PERNILLE))["entries"] == []
    # Staff of another group may do the group's lunch (merged groups, covering shifts).
    covered = await _bulk(client, ids, lunch, as_=KARSTEN)
    assert len(covered["entries"]) == len(ids["bears"])


async def test_a_nap_for_the_group_one_child_woke_early(client):
    ids = await solsikken(client)
    result = await _bulk(
        client,
        ids,
        {"sleep": {}},
        exceptions=[{"childId": ids["liva"], "details": {"sleep": {"endsAt": at(12, 15)}}}],
    )
    by_child = {e["child"]["id"]: e["details"] for e in result["entries"]}
    assert by_child.pop(ids["liva"])["minutes"] == 45
    assert {d["endsAt"] for d in by_child.values()} == {None}
