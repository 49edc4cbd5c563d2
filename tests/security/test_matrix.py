"""For every node type and every mutation: another institution's actor, a guardian of another
child, a revoked session and no session get NOT_FOUND / null / UNAUTHENTICATED."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import SOLSIKKEN_ADMIN, overview

STRANGER_ADMIN = "admin@regnbuen.example"  # another institution
STRANGER_STAFF = "lars@regnbuen.example"


async def _solsikken_nodes(client) -> dict[str, str]:
    """One ID of each node type, all inside Solsikken and not Mette's own."""
    node = await overview(client, SOLSIKKEN_ADMIN)
    edges = node["children"]["edges"]
    other_child = next(e["node"] for e in edges if e["node"]["name"] != "Liva Holm-Jensen")
    return {
        "Institution": node["id"],
        "Group": next(g["id"] for g in node["groups"] if g["name"] == "Myrerne"),
        "Child": other_child["id"],
        "GuardianLink": other_child["guardians"][0]["id"],
        "StaffMember": next(s["id"] for s in node["staff"] if s["groups"][0]["name"] == "Frøerne"),
    }


async def _other_family_guardian(client) -> str:
    node = await overview(client, SOLSIKKEN_ADMIN)
    edges = node["children"]["edges"]
    child = next(e["node"] for e in edges if e["node"]["group"]["name"] == "Frøerne")
    email: str = child["guardians"][0]["email"]
    return email


async def _revoked_token(client) -> str:
    login = await client.gql(
        "Login", {"email": "pernille@solsikken.example", "password": "seddel-demo"}
    )
    token: str = login["login"]["token"]
    await client.gql("Logout", token=token)
    return token


@pytest.mark.parametrize(
    "type_name", ["Institution", "Group", "Child", "GuardianLink", "StaffMember"]
)
async def test_node_of_another_institution_is_null(client, type_name):
    ids = await _solsikken_nodes(client)
    for stranger in (STRANGER_ADMIN, STRANGER_STAFF):
        assert (await client.gql("Node", {"id": ids[type_name]}, as_=stranger))["node"] is None
    assert (await client.gql("Nodes", {"ids": [ids[type_name]]}, as_=STRANGER_ADMIN))["nodes"] == [
        None
    ]


@pytest.mark.parametrize("type_name", ["Group", "Child", "GuardianLink"])
async def test_node_of_another_family_is_null_for_a_guardian(client, type_name):
    ids = await _solsikken_nodes(client)
    assert (await client.gql("Node", {"id": ids[type_name]}, as_="mette@example.com"))[
        "node"
    ] is None


@pytest.mark.parametrize(
    "type_name", ["Institution", "Group", "Child", "GuardianLink", "StaffMember"]
)
async def test_node_without_a_live_session_is_unauthenticated(client, type_name):
    ids = await _solsikken_nodes(client)
    for token in (None, await _revoked_token(client), "made-up-token"):
        payload = await client.execute("Node", {"id": ids[type_name]}, token=token)
        assert payload["data"] in (None, {"node": None})
        assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_node_answers_like_the_list_for_the_owner(client):
    ids = await _solsikken_nodes(client)
    for type_name, node_id in ids.items():
        node = (await client.gql("Node", {"id": node_id}, as_=SOLSIKKEN_ADMIN))["node"]
        assert node["__typename"] == type_name


async def test_malformed_and_unknown_ids_are_null(client):
    for bad in ("nonsense", "VW5rbm93bjox", "Q2hpbGQ6bm90LWEtdXVpZA=="):
        assert (await client.gql("Node", {"id": bad}, as_=SOLSIKKEN_ADMIN))["node"] is None


async def _mutations(client) -> list[tuple[str, dict[str, Any], str]]:
    ids = await _solsikken_nodes(client)
    return [
        (
            "UpdateInstitution",
            {"input": {"institutionId": ids["Institution"], "name": "X"}},
            "updateInstitution",
        ),
        ("CreateGroup", {"institutionId": ids["Institution"], "name": "X"}, "createGroup"),
        ("UpdateGroup", {"groupId": ids["Group"], "name": "X"}, "updateGroup"),
        ("DeactivateGroup", {"groupId": ids["Group"]}, "deactivateGroup"),
        (
            "CreateChild",
            {
                "input": {
                    "groupId": ids["Group"],
                    "firstName": "X",
                    "lastName": "Y",
                    "birthDate": "2021-01-01",
                }
            },
            "createChild",
        ),
        ("UpdateChild", {"input": {"childId": ids["Child"], "firstName": "X"}}, "updateChild"),
        ("MoveChild", {"childId": ids["Child"], "groupId": ids["Group"]}, "moveChild"),
        ("DeactivateChild", {"childId": ids["Child"], "lastDay": "2099-01-01"}, "deactivateChild"),
        (
            "AddStaff",
            {"input": {"institutionId": ids["Institution"], "email": "x@example.com", "name": "X"}},
            "addStaff",
        ),
        ("UpdateStaff", {"input": {"staffId": ids["StaffMember"], "title": "X"}}, "updateStaff"),
        ("DeactivateStaff", {"staffId": ids["StaffMember"]}, "deactivateStaff"),
        (
            "AddGuardian",
            {"input": {"childId": ids["Child"], "email": "x@example.com", "name": "X"}},
            "addGuardian",
        ),
        (
            "UpdateGuardianLink",
            {"input": {"guardianLinkId": ids["GuardianLink"], "access": "FULL"}},
            "updateGuardianLink",
        ),
        ("RemoveGuardianLink", {"guardianLinkId": ids["GuardianLink"]}, "removeGuardianLink"),
        (
            "UnlockLogin",
            {"institutionId": ids["Institution"], "email": "pernille@solsikken.example"},
            "unlockLogin",
        ),
    ]


async def test_every_admin_mutation_is_not_found_for_strangers_and_guardians(client):
    mutations = await _mutations(client)
    guardian = await _other_family_guardian(client)
    for actor in (
        STRANGER_ADMIN,
        STRANGER_STAFF,
        "mette@example.com",
        guardian,
        "pernille@solsikken.example",
    ):
        for operation, variables, field in mutations:
            result = (await client.gql(operation, variables, as_=actor))[field]
            assert result["code"] == "NOT_FOUND", (actor, operation, result)
    # And nothing changed: the admin still sees the same institution.
    after = await overview(client, SOLSIKKEN_ADMIN)
    assert after["name"] == "Solsikken"


async def test_every_mutation_needs_a_live_session(client):
    mutations = await _mutations(client)
    revoked = await _revoked_token(client)
    for token in (None, revoked):
        for operation, variables, _ in mutations:
            payload = await client.execute(operation, variables, token=token)
            assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", operation


async def test_guardian_sees_staff_names_but_not_their_email(client):
    me = (await client.gql("Me", as_="mette@example.com"))["me"]
    solsikken = next(
        m["institution"]["id"]
        for m in me["institutions"]
        if m["institution"]["name"] == "Solsikken"
    )
    data = await client.gql(
        "InstitutionOverview", {"id": solsikken, "first": 40}, as_="mette@example.com"
    )
    node = data["node"]
    assert node["staff"] and all(s["email"] is None for s in node["staff"])
    assert [e["node"]["name"] for e in node["children"]["edges"]] == ["Liva Holm-Jensen"]
    assert [g["name"] for g in node["groups"]] == ["Bjørnene"]


# -- gallery: consent, photos, albums, export ----------------------------------------------


async def _gallery_setup(client) -> dict[str, str]:
    from tests.gallery.common import add_photo, child, group, solsikken, upload_photo

    node = await solsikken(client)
    liva = child(node, "Liva Holm-Jensen")
    photo = await add_photo(client, node, [liva["id"]])
    assert photo["__typename"] == "Photo", photo
    return {
        "institution": node["id"],
        "group": group(node, "Bjørnene"),
        "liva": liva["id"],
        "photo": photo["id"],
        "file": await upload_photo(client, node["id"]),
    }


async def test_gallery_reads_of_another_institution_or_family_are_empty(client):
    ids = await _gallery_setup(client)
    outsiders = (STRANGER_ADMIN, STRANGER_STAFF, await _other_family_guardian(client))
    for outsider in outsiders:
        assert (await client.gql("PhotoNode", {"id": ids["photo"]}, as_=outsider))["node"] is None
        assert (await client.gql("Nodes", {"ids": [ids["photo"]]}, as_=outsider))["nodes"] == [None]
        download = await client.gql("PhotoDownload", {"id": ids["photo"], "variant": "FULL"}, as_=outsider)
        assert download["node"] is None
        assert (await client.gql("PhotoConsent", {"childId": ids["liva"]}, as_=outsider))["photoConsent"] is None
        consents = await client.gql("GroupPhotoConsents", {"groupId": ids["group"]}, as_=outsider)
        assert consents["groupPhotoConsents"] == []
        albums = await client.gql("PhotoAlbums", {"groupId": ids["group"]}, as_=outsider)
        assert albums["photoAlbums"]["edges"] == []
        album = (await client.gql("PhotoAlbum", {"groupId": ids["group"]}, as_=outsider))["photoAlbum"]
        assert album is None or album["photoCount"] == 0
        photos = await client.gql("ChildPhotos", {"childId": ids["liva"]}, as_=outsider)
        assert photos["childPhotos"]["edges"] == []
        headers = {"Authorization": f"Bearer {await client.token_for(outsider)}"}
        export = await client.http.get(f"/children/{ids['liva']}/photos.zip", headers=headers)
        assert export.status_code == 404, outsider


async def test_gallery_mutations_are_not_found_for_strangers(client):
    ids = await _gallery_setup(client)
    mutations = [
        ("SetPhotoConsent", {"childId": ids["liva"], "level": "GROUP"}, "setPhotoConsent"),
        (
            "AddPhoto",
            {"input": {"groupId": ids["group"], "fileId": ids["file"], "childIds": [ids["liva"]]}},
            "addPhoto",
        ),
        ("UpdatePhoto", {"input": {"photoId": ids["photo"], "caption": "X"}}, "updatePhoto"),
        ("DeletePhoto", {"photoId": ids["photo"]}, "deletePhoto"),
    ]
    actors = (STRANGER_ADMIN, STRANGER_STAFF, await _other_family_guardian(client), "jonas@example.com")
    for actor in actors:
        for operation, variables, field in mutations:
            result = (await client.gql(operation, variables, as_=actor))[field]
            assert result["code"] == "NOT_FOUND", (actor, operation, result)
    revoked = await _revoked_token(client)
    for token in (None, revoked):
        for operation, variables, _ in mutations:
            payload = await client.execute(operation, variables, token=token)
            assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", operation
        payload = await client.execute("PhotoNode", {"id": ids["photo"]}, token=token)
        assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Nothing changed.
    still = (await client.gql("PhotoNode", {"id": ids["photo"]}, as_="pernille@solsikken.example"))["node"]
    assert still["caption"] == ""
# --- the daily log ---------------------------------------------------------------------------


async def _daybook_ids(client) -> dict[str, str]:
    """An entry of another family's child (Bjørnene's protected child) and of Liva."""
    from tests.daybook.helpers import PERNILLE, at, yesterday

    node = await overview(client, SOLSIKKEN_ADMIN)
    edges = [e["node"] for e in node["children"]["edges"]]
    bears = [c for c in edges if c["group"]["name"] == "Bjørnene"]
    shown = await client.gql("Nodes", {"ids": [c["id"] for c in bears]}, as_=SOLSIKKEN_ADMIN)
    protected_id = next(n["id"] for n in shown["nodes"] if n["isProtected"])
    protected = next(c for c in bears if c["id"] == protected_id)
    liva = next(c for c in edges if c["name"] == "Liva Holm-Jensen")
    entries = {}
    for name, child in (("other", protected), ("liva", liva)):
        made = await client.gql(
            "RecordDayEntry",
            {
                "input": {
                    "childId": child["id"],
                    "day": yesterday().isoformat(),
                    "at": at(10),
                    "details": {"incident": {"description": "Faldt"}},
                }
            },
            as_=PERNILLE,
        )
        entries[name] = made["recordDayEntry"]["id"]
    return {
        "other_entry": entries["other"],
        "liva_entry": entries["liva"],
        "other_child": protected["id"],
        "other_guardian": protected["guardians"][0]["email"],
        "liva": liva["id"],
        "group": next(g["id"] for g in node["groups"] if g["name"] == "Bjørnene"),
    }


def _daybook_mutations(ids: dict[str, str], entry: str) -> list[tuple[str, dict[str, Any], str]]:
    from tests.daybook.helpers import at, yesterday

    lunch = {"meal": {"meal": "LUNCH", "amount": "WELL"}}
    return [
        (
            "RecordDayEntry",
            {
                "input": {
                    "childId": ids["liva"],
                    "day": yesterday().isoformat(),
                    "at": at(11),
                    "details": lunch,
                }
            },
            "recordDayEntry",
        ),
        (
            "CorrectDayEntry",
            {"input": {"entryId": ids[entry], "at": at(11), "details": lunch}},
            "correctDayEntry",
        ),
        ("DeleteDayEntry", {"entryId": ids[entry]}, "deleteDayEntry"),
        ("ConfirmIncident", {"entryId": ids[entry]}, "confirmIncident"),
        (
            "RecordGroupEntries",
            {
                "input": {
                    "groupId": ids["group"],
                    "day": yesterday().isoformat(),
                    "at": at(11),
                    "details": lunch,
                }
            },
            "recordGroupEntries",
        ),
    ]


async def test_day_entries_are_null_for_strangers_and_other_families(client):
    ids = await _daybook_ids(client)
    from tests.daybook.helpers import yesterday

    for stranger in (STRANGER_ADMIN, STRANGER_STAFF, "mette@example.com", "jonas@example.com"):
        assert (await client.gql("Node", {"id": ids["other_entry"]}, as_=stranger))["node"] is None
        day = await client.gql(
            "ChildDay", {"child": ids["other_child"], "date": yesterday().isoformat()}, as_=stranger
        )
        assert day["childDay"] is None, stranger
    for stranger in (STRANGER_ADMIN, STRANGER_STAFF, ids["other_guardian"]):
        assert (await client.gql("Node", {"id": ids["liva_entry"]}, as_=stranger))["node"] is None
        history = await client.gql("DayEntryHistory", {"id": ids["liva_entry"]}, as_=stranger)
        assert history["node"] is None
    assert (await client.gql("Node", {"id": ids["liva_entry"]}, as_="mette@example.com"))[
        "node"
    ]["__typename"] == "DayEntry"
    for token in (None, await _revoked_token(client)):
        payload = await client.execute("Node", {"id": ids["liva_entry"]}, token=token)
        assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_every_daybook_mutation_is_not_found_for_strangers(client):
    ids = await _daybook_ids(client)
    for actor in (STRANGER_ADMIN, STRANGER_STAFF):
        for operation, variables, field in _daybook_mutations(ids, "liva_entry"):
            result = (await client.gql(operation, variables, as_=actor))[field]
            assert result["code"] == "NOT_FOUND", (actor, operation, result)
    # Another family's guardian, and Mette on the protected child's incident.
    for actor, entry in (
        (ids["other_guardian"], "liva_entry"),
        ("mette@example.com", "other_entry"),
    ):
        for operation, variables, field in _daybook_mutations(ids, entry):
            result = (await client.gql(operation, variables, as_=actor))[field]
            assert result["code"] == "NOT_FOUND", (actor, operation, result)
    for token in (None, await _revoked_token(client)):
        for operation, variables, _ in _daybook_mutations(ids, "liva_entry"):
            payload = await client.execute(operation, variables, token=token)
            assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", operation


# --- pickup plan and vacation survey (h3-plan) ------------------------------------------------

from tests.attendance.plan_helpers import day, family  # noqa: E402


async def _plan_and_survey(client) -> tuple[dict[str, Any], dict[str, str]]:
    f = await family(client)
    entry = await client.gql(
        "SetPickupPlan",
        {
            "childId": f["liva"],
            "input": {"day": day(2), "leaveMode": "WITH_CHILD", "companionChildId": f["friend"]},
        },
        as_="mette@example.com",
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
    person = await client.gql(
        "AddPickupPerson",
        {"childId": f["liva"], "input": {"name": "Inge Holm"}},
        as_="mette@example.com",
    )
    ids = {
        "PickupPerson": person["addPickupPerson"]["id"],
        "PickupPlanEntry": entry["setPickupPlan"]["id"],
        "VacationSurvey": survey["openVacationSurvey"]["id"],
    }
    return f, ids


def _plan_mutations(
    f: dict[str, Any], ids: dict[str, str]
) -> list[tuple[str, dict[str, Any], str]]:
    return [
        (
            "SetPickupPlan",
            {"childId": f["liva"], "input": {"day": day(3), "leaveMode": "GUARDIAN"}},
            "setPickupPlan",
        ),
        ("ClearPickupPlan", {"entryId": ids["PickupPlanEntry"]}, "clearPickupPlan"),
        (
            "AnswerPickupCompanion",
            {"entryId": ids["PickupPlanEntry"], "accept": True},
            "answerPickupCompanion",
        ),
        ("SetGoHomeAlone", {"childId": f["liva"], "allowed": True}, "setGoHomeAlone"),
        ("SendChildHome", {"childId": f["liva"], "reason": "Feber"}, "sendChildHome"),
        (
            "OpenVacationSurvey",
            {
                "input": {
                    "institutionId": f["institution"],
                    "title": "X",
                    "firstDay": day(14),
                    "lastDay": day(15),
                    "deadline": day(7),
                }
            },
            "openVacationSurvey",
        ),
        (
            "AnswerVacationSurvey",
            {
                "surveyId": ids["VacationSurvey"],
                "childId": f["liva"],
                "days": [{"day": day(14), "coming": False}],
            },
            "answerVacationSurvey",
        ),
        ("RemoveVacationSurvey", {"surveyId": ids["VacationSurvey"]}, "removeVacationSurvey"),
        (
            "SetPickupPersonPhoto",
            {"pickupPersonId": ids["PickupPerson"], "fileId": None},
            "setPickupPersonPhoto",
        ),
    ]


async def test_plan_and_survey_nodes_are_null_for_strangers(client, plan_clock):
    _, ids = await _plan_and_survey(client)
    for type_name, node_id in ids.items():
        for stranger in (STRANGER_ADMIN, STRANGER_STAFF):
            assert (await client.gql("Node", {"id": node_id}, as_=stranger))["node"] is None
        assert (await client.gql("Nodes", {"ids": [node_id]}, as_=STRANGER_ADMIN))["nodes"] == [
            None
        ]
        owner = (await client.gql("Node", {"id": node_id}, as_=SOLSIKKEN_ADMIN))["node"]
        assert owner["__typename"] == type_name
        for token in (None, await _revoked_token(client)):
            payload = await client.execute("Node", {"id": node_id}, token=token)
            assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # A guardian of a third family sees neither Liva's plan nor its request to another child.
    third = await _other_family_guardian(client)
    assert (await client.gql("Node", {"id": ids["PickupPlanEntry"]}, as_=third))["node"] is None


async def test_every_plan_and_survey_mutation_is_not_found_for_strangers(client, plan_clock):
    f, ids = await _plan_and_survey(client)
    mutations = _plan_mutations(f, ids)
    for actor in (STRANGER_ADMIN, STRANGER_STAFF, await _other_family_guardian(client)):
        for operation, variables, field in mutations:
            result = (await client.gql(operation, variables, as_=actor))[field]
            assert result["code"] == "NOT_FOUND", (actor, operation, result)
    # Jonas (no custody, information only) where custody or full access matters.
    for operation, variables, field in mutations:
        result = (await client.gql(operation, variables, as_="jonas@example.com"))[field]
        assert result["code"] == "NOT_FOUND", (operation, result)
    revoked = await _revoked_token(client)
    for token in (None, revoked):
        for operation, variables, _ in mutations:
            payload = await client.execute(operation, variables, token=token)
            assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", operation
    # Nothing changed: the request still waits, the survey is still there.
    node = (await client.gql("Node", {"id": ids["PickupPlanEntry"]}, as_="mette@example.com"))[
        "node"
    ]
    assert node["__typename"] == "PickupPlanEntry"
    surveys = await client.gql(
        "VacationSurveys", {"institutionId": f["institution"]}, as_=SOLSIKKEN_ADMIN
    )
    assert [s["id"] for s in surveys["vacationSurveys"]] == [ids["VacationSurvey"]]


# --- Presence, devices, kiosk (h4-presence) -----------------------------------------------------


async def _presence_setup(client) -> dict[str, Any]:
    """A Solsikken child (not Mette's) checked in and out, with its IDs and events."""
    import uuid as uuid_module
    from datetime import UTC, datetime, timedelta

    ids = await _solsikken_nodes(client)
    node = await overview(client, SOLSIKKEN_ADMIN)
    child = next(e["node"] for e in node["children"]["edges"] if e["node"]["id"] == ids["Child"])
    at = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    came = (
        await client.gql(
            "CheckIn",
            {"input": {"eventId": str(uuid_module.uuid4()), "childId": child["id"], "at": at}},
            as_=SOLSIKKEN_ADMIN,
        )
    )["checkIn"]
    assert came["__typename"] == "PresenceChanged", came
    paired = (
        await client.gql(
            "PairDevice",
            {"institutionId": ids["Institution"], "role": "STAFF_TABLET", "label": "T"},
            as_=SOLSIKKEN_ADMIN,
        )
    )["pairDevice"]
    return {
        **ids,
        "Presence": came["presence"]["id"],
        "event": came["event"]["id"],
        "link": child["guardians"][0]["id"],
        "device": paired["device"]["id"],
    }


def _presence_mutations(ids: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    import uuid as uuid_module
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat()

    def event() -> str:
        return str(uuid_module.uuid4())

    return [
        ("CheckIn", {"input": {"eventId": event(), "childId": ids["Child"], "at": now}}, "checkIn"),
        (
            "CheckOut",
            {
                "input": {
                    "eventId": event(),
                    "childId": ids["Child"],
                    "at": now,
                    "pickedUpBy": {"guardianLinkId": ids["link"]},
                }
            },
            "checkOut",
        ),
        (
            "UndoPresenceEvent",
            {"eventId": event(), "targetEventId": ids["event"]},
            "undoPresenceEvent",
        ),
        ("ConfirmCheckout", {"presenceId": ids["Presence"]}, "confirmCheckout"),
        (
            "PairDevice",
            {"institutionId": ids["Institution"], "role": "KIOSK", "label": "X"},
            "pairDevice",
        ),
        ("RevokeDevice", {"deviceId": ids["device"]}, "revokeDevice"),
        ("KioskCode", {"institutionId": ids["Institution"]}, "kioskCode"),
        (
            "KioskCheck",
            {
                "input": {
                    "eventId": event(),
                    "childId": ids["Child"],
                    "at": now,
                    "action": "CHECK_IN",
                    "pin": "1234",
                }
            },
            "kioskCheck",
        ),
        ("SwitchTabletUser", {"staffId": ids["StaffMember"], "pin": "1234"}, "switchTabletUser"),
    ]


async def test_presence_node_is_null_for_strangers_and_other_families(client):
    ids = await _presence_setup(client)
    guardian = await _other_family_guardian(client)
    for stranger in (STRANGER_ADMIN, STRANGER_STAFF, "mette@example.com", "jonas@example.com"):
        assert (await client.gql("Node", {"id": ids["Presence"]}, as_=stranger))["node"] is None
    assert (await client.gql("Node", {"id": ids["Presence"]}, as_=SOLSIKKEN_ADMIN))["node"]
    assert guardian  # the child's own guardian is tested in tests/attendance


async def test_every_presence_mutation_is_not_found_for_strangers(client):
    ids = await _presence_setup(client)
    guardian = await _other_family_guardian(client)
    for actor in (STRANGER_ADMIN, STRANGER_STAFF, "mette@example.com", guardian):
        for operation, variables, field in _presence_mutations(ids):
            if operation == "KioskCode" and actor in ("mette@example.com", guardian):
                continue  # a Solsikken guardian may have a kiosk code for Solsikken
            result = (await client.gql(operation, variables, as_=actor))[field]
            assert result["code"] == "NOT_FOUND", (actor, operation, result)


async def test_every_presence_mutation_needs_a_live_session(client):
    ids = await _presence_setup(client)
    revoked = await _revoked_token(client)
    for token in (None, revoked):
        for operation, variables, _ in _presence_mutations(ids):
            payload = await client.execute(operation, variables, token=token)
            assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", operation
    for operation, variables in (
        ("GroupDay", {"groupId": ids["Group"]}),
        ("MyChildrenToday", {}),
        ("UnconfirmedCheckouts", {"institutionId": ids["Institution"]}),
        ("Devices", {"institutionId": ids["Institution"]}),
    ):
        payload = await client.execute(operation, variables, token=revoked)
        assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", operation
