"""Absence: sickness stays open until the child is reported well; no overlaps; strangers refused."""

from __future__ import annotations

from datetime import date, timedelta

from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, child_id, overview

METTE = "mette@example.com"
TODAY = date.today()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


async def _liva(client) -> str:
    return await child_id(client, SOLSIKKEN_ADMIN, "Liva Holm-Jensen")


async def test_sickness_stays_open_until_reported_well(client):
    liva = await _liva(client)
    sick = (
        await client.gql(
            "RegisterAbsence",
            {"childId": liva, "kind": "SICK", "fromDay": day(0), "note": "Feber"},
            as_=METTE,
        )
    )["registerAbsence"]
    assert sick["__typename"] == "Absence" and sick["untilDay"] is None
    # Days later it is still open: never reset overnight.
    later = await client.gql(
        "Absences",
        {"childId": liva, "start": day(5), "end": day(5)},
        as_="pernille@solsikken.example",
    )
    assert [a["id"] for a in later["absences"]] == [sick["id"]]
    well = (await client.gql("ReportWell", {"absenceId": sick["id"], "backOn": day(3)}, as_=METTE))[
        "reportWell"
    ]
    assert well["untilDay"] == day(2)
    after = await client.gql(
        "Absences", {"childId": liva, "start": day(3), "end": day(10)}, as_=METTE
    )
    assert after["absences"] == []
    again = (
        await client.gql("ReportWell", {"absenceId": sick["id"], "backOn": day(4)}, as_=METTE)
    )["reportWell"]
    assert again["code"] == "CONFLICT"


async def test_vacation_needs_an_end_and_periods_cannot_overlap(client):
    liva = await _liva(client)
    open_vacation = await client.gql(
        "RegisterAbsence", {"childId": liva, "kind": "VACATION", "fromDay": day(30)}, as_=METTE
    )
    assert open_vacation["registerAbsence"]["field"] == "untilDay"
    first = await client.gql(
        "RegisterAbsence",
        {"childId": liva, "kind": "VACATION", "fromDay": day(30), "untilDay": day(40)},
        as_=METTE,
    )
    assert first["registerAbsence"]["__typename"] == "Absence"
    overlap = await client.gql(
        "RegisterAbsence",
        {"childId": liva, "kind": "OTHER", "fromDay": day(40), "untilDay": day(41)},
        as_=METTE,
    )
    assert overlap["registerAbsence"]["code"] == "CONFLICT"
    backwards = await client.gql(
        "RegisterAbsence",
        {"childId": liva, "kind": "OTHER", "fromDay": day(50), "untilDay": day(49)},
        as_=METTE,
    )
    assert backwards["registerAbsence"]["field"] == "untilDay"
    too_old = await client.gql(
        "RegisterAbsence",
        {"childId": liva, "kind": "SICK", "fromDay": day(-8), "untilDay": day(-8)},
        as_=METTE,
    )
    assert too_old["registerAbsence"]["field"] == "fromDay"
    listed = (
        await client.gql("Absences", {"childId": liva, "start": day(0), "end": day(60)}, as_=METTE)
    )["absences"]
    assert [(a["kind"], a["fromDay"], a["untilDay"]) for a in listed] == [
        ("VACATION", day(30), day(40))
    ]


async def test_staff_register_on_a_guardians_behalf(client):
    liva = await _liva(client)
    made = await client.gql(
        "RegisterAbsence",
        {"childId": liva, "kind": "SICK", "fromDay": day(-10), "untilDay": day(-9)},
        as_="pernille@solsikken.example",
    )
    assert made["registerAbsence"]["__typename"] == "Absence"
    seen = (
        await client.gql("Absences", {"childId": liva, "start": day(-10), "end": day(0)}, as_=METTE)
    )["absences"]
    assert len(seen) == 1


async def test_strangers_and_information_only_guardians_cannot_register(client):
    liva = await _liva(client)
    made = (
        await client.gql(
            "RegisterAbsence", {"childId": liva, "kind": "SICK", "fromDay": day(0)}, as_=METTE
        )
    )["registerAbsence"]
    node = await overview(client, SOLSIKKEN_ADMIN)
    other = next(
        e["node"] for e in node["children"]["edges"] if e["node"]["name"] != "Liva Holm-Jensen"
    )
    outsiders = (
        other["guardians"][0]["email"],
        REGNBUEN_ADMIN,
        "lars@regnbuen.example",
        "jonas@example.com",
    )
    for outsider in outsiders:
        result = await client.gql(
            "RegisterAbsence",
            {"childId": liva, "kind": "SICK", "fromDay": day(20), "untilDay": day(21)},
            as_=outsider,
        )
        assert result["registerAbsence"]["code"] == "NOT_FOUND", outsider
        cancel = (await client.gql("CancelAbsence", {"absenceId": made["id"]}, as_=outsider))[
            "cancelAbsence"
        ]
        assert cancel["code"] == "NOT_FOUND", outsider
    for outsider in outsiders[:3]:
        assert (
            await client.gql(
                "Absences", {"childId": liva, "start": day(0), "end": day(1)}, as_=outsider
            )
        )["absences"] == []
    cancelled = (await client.gql("CancelAbsence", {"absenceId": made["id"]}, as_=METTE))[
        "cancelAbsence"
    ]
    assert cancelled["__typename"] == "AttendanceDone"
    payload = await client.execute(
        "RegisterAbsence", {"childId": liva, "kind": "SICK", "fromDay": day(0)}
    )
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
