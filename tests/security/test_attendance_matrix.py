"""The security matrix of attendance: pickup persons and the codeword, absences, the personal
PIN, the child's plan and presence history, the attendance report, the pickup plan's reads.
Another institution's admin and staff, another family's guardian (also the one Liva's plan
asks along: a companion request opens nothing else), Liva's father without custody and
Solsikken's own kiosk and tablet (no one switched in) are refused; no session, a revoked one
and a made-up token are UNAUTHENTICATED; nothing changes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.attendance.service import clock
from tests.attendance.plan_helpers import JONAS, METTE, PERNILLE, day, family
from tests.helpers import SOLSIKKEN_ADMIN
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    device_tokens,
    each_child_not_found,
    empty,
    equals,
    error,
    not_found,
    null,
    other_family_guardian,
    without,
)

NO_CODEWORD = {"isSet": False, "codeword": None}


def _today(offset: int = 0) -> str:
    """The attendance clock's day (the plan clock fixes it), `offset` days on."""
    local = clock.now().astimezone(ZoneInfo("Europe/Copenhagen"))
    return (local.date() + timedelta(days=offset)).isoformat()


async def _liva_set_up(client) -> dict[str, Any]:
    """Liva with a pickup person, a codeword, a stay today, and on the fixed plan clock's
    days: a plan for Wednesday that asks a friend along home, an open sickness a week on,
    and Solsikken's summer survey."""
    f = await family(client)
    person = await client.gql(
        "AddPickupPerson",
        {"childId": f["liva"], "input": {"name": "Inge Holm", "phone": "+45 20 30 40 50"}},
        as_=METTE,
    )
    await client.gql("SetPickupCodeword", {"childId": f["liva"], "codeword": "Blåbær"}, as_=METTE)
    sick = await client.gql(
        "RegisterAbsence",
        {"childId": f["liva"], "kind": "SICK", "fromDay": day(10), "note": "Feber"},
        as_=METTE,
    )
    came = await client.gql(
        "CheckIn",
        {
            "input": {
                "eventId": str(uuid.uuid4()),
                "childId": f["liva"],
                "at": (clock.now() - timedelta(minutes=30)).isoformat(),
            }
        },
        as_=PERNILLE,
    )
    entry = await client.gql(
        "SetPickupPlan",
        {
            "childId": f["liva"],
            "input": {"day": day(2), "leaveMode": "WITH_CHILD", "companionChildId": f["friend"]},
        },
        as_=METTE,
    )
    survey = await client.gql(
        "OpenVacationSurvey",
        {
            "input": {
                "institutionId": f["institution"],
                "title": "Sommer",
                "firstDay": day(14),
                "lastDay": day(18),
                "deadline": day(7),
            }
        },
        as_=SOLSIKKEN_ADMIN,
    )
    assert survey["openVacationSurvey"]["__typename"] == "VacationSurvey", survey
    return {
        **f,
        "person": person["addPickupPerson"]["id"],
        "absence": sick["registerAbsence"]["id"],
        "presence": came["checkIn"]["presence"]["id"],
        "entry": entry["setPickupPlan"]["id"],
    }


def _mutations(f: dict[str, Any]) -> list[Case]:
    person = {"name": "X", "phone": ""}
    return [
        Case(
            "AddPickupPerson", {"childId": f["liva"], "input": person}, not_found("addPickupPerson")
        ),
        Case(
            "UpdatePickupPerson",
            {"pickupPersonId": f["person"], "input": person},
            not_found("updatePickupPerson"),
        ),
        Case(
            "RemovePickupPerson", {"pickupPersonId": f["person"]}, not_found("removePickupPerson")
        ),
        Case(
            "SetPickupCodeword",
            {"childId": f["liva"], "codeword": "X"},
            not_found("setPickupCodeword"),
        ),
        Case(
            "RegisterAbsence",
            {"childId": f["liva"], "kind": "OTHER", "fromDay": _today(20), "untilDay": _today(21)},
            not_found("registerAbsence"),
        ),
        Case(
            "RegisterSiblingAbsence",
            {"childIds": [f["liva"]], "kind": "OTHER", "fromDay": _today(20), "untilDay": _today(21)},
            each_child_not_found("registerAbsence"),
        ),
        Case(
            "SetSiblingPickupPlan",
            {"children": [{"childId": f["liva"]}], "input": {"day": day(3), "leaveMode": "GUARDIAN"}},
            each_child_not_found("setPickupPlan"),
        ),
        Case("ReportWell", {"absenceId": f["absence"], "backOn": day(12)}, not_found("reportWell")),
        Case("CancelAbsence", {"absenceId": f["absence"]}, not_found("cancelAbsence")),
    ]


def _reads(f: dict[str, Any]) -> list[Case]:
    """What Liva's guardians and Solsikken's staff see; an outsider sees nothing of it."""
    liva = f["liva"]
    return [
        Case(
            "PickupPersons",
            {"childId": liva},
            empty("pickupPersons"),
            equals("pickupCodeword", NO_CODEWORD),
        ),
        Case("PickupPersonPhotos", {"childId": liva}, empty("pickupPersons")),
        Case("Node", {"id": f["person"]}, null("node")),
        Case("Absences", {"childId": liva, "start": day(0), "end": day(30)}, empty("absences")),
        Case("ChildPlan", {"childId": liva, "start": _today(), "days": 7}, error("NOT_FOUND")),
        Case(
            "PresenceHistory",
            {"childId": liva, "start": _today(-2), "end": _today()},
            error("NOT_FOUND"),
        ),
        Case("Node", {"id": f["presence"]}, null("node")),
        Case("PickupPlan", {"childId": liva, "start": day(0), "end": day(6)}, empty("pickupPlan")),
        Case(
            "PickupPlanDefaults",
            {"childId": liva},
            empty("pickupPlanDefaults"),
            null("goHomeAlone"),
        ),
        Case("PickupPlanHistory", {"childId": liva, "day": day(2)}, empty("pickupPlanHistory")),
        Case("MyChildrenToday", {}, without("myChildrenToday", "child.id", [liva])),
        Case("GroupDay", {"groupId": f["bears_group"]}, null("groupDay")),
    ]


def _staff_reads(f: dict[str, Any]) -> list[Case]:
    """For Solsikken's staff or admins only: no guardian of Solsikken sees these either."""
    iid = f["institution"]
    return [
        Case(
            "AttendanceReport",
            {"institutionId": iid, "start": _today(), "end": _today()},
            error("NOT_FOUND"),
        ),
        Case("Devices", {"institutionId": iid}, empty("devices")),
        Case("UnconfirmedCheckouts", {"institutionId": iid}, empty("unconfirmedCheckouts")),
        Case("TabletStaff", {}, empty("tabletStaff")),
    ]


def _institution_reads(f: dict[str, Any]) -> list[Case]:
    """Every member of Solsikken sees these (guardians answer the vacation survey)."""
    return [
        Case("VacationSurveys", {"institutionId": f["institution"]}, empty("vacationSurveys")),
    ]


async def test_attendance_mutations_are_not_found_for_outsiders(client, plan_clock):
    f = await _liva_set_up(client)
    outsiders = [*STRANGERS, await other_family_guardian(client), f["friend_parent"], JONAS]
    devices = await device_tokens(client, f["institution"])
    await assert_refused(client, _mutations(f), outsiders, tokens=devices)
    # Nothing changed: the person, the codeword and the open sickness are as they were.
    seen = await client.gql("PickupPersons", {"childId": f["liva"]}, as_=PERNILLE)
    assert [(p["name"], p["phone"]) for p in seen["pickupPersons"]] == [
        ("Inge Holm", "+4520304050")
    ]
    assert seen["pickupCodeword"] == {"isSet": True, "codeword": "Blåbær"}
    absences = await client.gql(
        "Absences", {"childId": f["liva"], "start": day(0), "end": day(30)}, as_=METTE
    )
    assert [(a["id"], a["kind"], a["untilDay"]) for a in absences["absences"]] == [
        (f["absence"], "SICK", None)
    ]


async def test_attendance_reads_show_outsiders_nothing(client, plan_clock):
    f = await _liva_set_up(client)
    outsiders = [*STRANGERS, await other_family_guardian(client), f["friend_parent"]]
    devices = await device_tokens(client, f["institution"])
    await assert_refused(client, _reads(f), outsiders, tokens=devices)
    staff_only = [*outsiders, METTE, JONAS]
    await assert_refused(client, _staff_reads(f), staff_only)
    # A device does only its device's work (the tablet lists who may switch in).
    await assert_refused(client, _staff_reads(f)[:3], [], tokens=devices)
    # The report is the admin's: the group's own pædagog does not get it either.
    await assert_refused(client, _staff_reads(f)[:1], [PERNILLE])
    await assert_refused(client, _institution_reads(f), STRANGERS)


async def test_attendance_reads_show_the_owners_what_the_outsiders_miss(client, plan_clock):
    """The other side of the table: the same documents do find what the set-up made."""
    f = await _liva_set_up(client)
    liva = f["liva"]
    owners: list[tuple[str, dict[str, Any], str, str]] = [
        ("PickupPersons", {"childId": liva}, "pickupPersons", JONAS),
        ("Absences", {"childId": liva, "start": day(0), "end": day(30)}, "absences", JONAS),
        ("ChildPlan", {"childId": liva, "start": _today(), "days": 7}, "childPlan", METTE),
        (
            "PresenceHistory",
            {"childId": liva, "start": _today(-2), "end": _today()},
            "presenceHistory",
            METTE,
        ),
        ("PickupPlan", {"childId": liva, "start": day(0), "end": day(6)}, "pickupPlan", JONAS),
        ("PickupPlanHistory", {"childId": liva, "day": day(2)}, "pickupPlanHistory", METTE),
        ("PickupCompanionRequests", {}, "pickupCompanionRequests", f["friend_parent"]),
        ("VacationSurveys", {"institutionId": f["institution"]}, "vacationSurveys", METTE),
        (
            "AttendanceReport",
            {"institutionId": f["institution"], "start": _today(), "end": _today()},
            "attendanceReport",
            SOLSIKKEN_ADMIN,
        ),
    ]
    for operation, variables, field, owner in owners:
        assert (await client.gql(operation, variables, as_=owner))[field], (operation, owner)
    # The companion request is the friend's parents' to answer, and nobody else's to see.
    requests = Case(
        "PickupCompanionRequests",
        {},
        without("pickupCompanionRequests", "id", [f["entry"]]),
    )
    await assert_refused(client, [requests], [*STRANGERS, await other_family_guardian(client)])


async def test_attendance_needs_a_live_session(client, plan_clock):
    f = await _liva_set_up(client)
    cases = [
        *_mutations(f),
        *_reads(f),
        *_staff_reads(f),
        *_institution_reads(f),
        Case("PickupCompanionRequests", {}),
        Case("SetPersonalPin", {"pin": "2468"}),
    ]
    await assert_unauthenticated(client, cases, await dead_sessions(client))


async def test_a_personal_pin_is_ones_own_and_opens_no_other_institution(client):
    """setPersonalPin has no target: it sets the caller's own PIN. A stranger's PIN works on
    no Solsikken tablet, and a paired device cannot set one at all."""
    from tests.security.test_matrix import _solsikken_nodes

    ids = await _solsikken_nodes(client)
    for stranger in STRANGERS:
        done = await client.gql("SetPersonalPin", {"pin": "2468"}, as_=stranger)
        assert done["setPersonalPin"]["__typename"] == "PinSet"
    paired = await client.gql(
        "PairDevice",
        {"institutionId": ids["Institution"], "role": "STAFF_TABLET", "label": "T"},
        as_=SOLSIKKEN_ADMIN,
    )
    tablet = paired["pairDevice"]["token"]
    refused = await client.gql("SetPersonalPin", {"pin": "2468"}, token=tablet)
    assert refused["setPersonalPin"]["code"] == "NOT_FOUND"
    # A Solsikken staff member's ID with the stranger's PIN switches nobody in.
    switched = await client.gql(
        "SwitchTabletUser", {"staffId": ids["StaffMember"], "pin": "2468"}, token=tablet
    )
    assert switched["switchTabletUser"]["__typename"] != "TabletUserSwitched"
    names = [s["name"] for s in (await client.gql("TabletStaff", token=tablet))["tabletStaff"]]
    assert names and not {"Lars Bak", "Leder af Regnbuen"} & set(names)
