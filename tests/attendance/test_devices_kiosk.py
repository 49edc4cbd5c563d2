"""Paired tablets: staff switch in with their PIN, every event names them and the device;
the kiosk lets guardians check their own children in and out with a PIN or a QR code."""

from __future__ import annotations

from tests.attendance.presence_support import (
    FATHER,
    MOTHER,
    STAFF,
    admin_session,
    ago,
    check_in,
    guardian_link,
    liva,
    new_event,
    other_child,
    pair,
    set_pin,
    switch_in,
)
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, institution_id


async def test_staff_switch_in_on_a_tablet_and_events_name_them(client, runtime):
    tablet = await pair(client, "STAFF_TABLET", "Bjørnene tablet")
    device_token = tablet["token"]
    child = await liva(client)
    # The bare tablet can do nothing but offer the switch.
    assert (await check_in(client, child["id"], token=device_token))["code"] == "NOT_FOUND"
    await set_pin(client, STAFF, "4711")
    wrong = await switch_in(client, device_token, "Pernille Holm", "0000")
    assert wrong["__typename"] == "InvalidCredentialsError" and wrong["field"] == "pin"
    switched = await switch_in(client, device_token, "Pernille Holm", "4711")
    assert switched["__typename"] == "TabletUserSwitched" and switched["name"] == "Pernille Holm"
    came = await check_in(client, child["id"], token=switched["token"])
    assert came["presence"]["checkedInBy"] == "Pernille Holm"
    import uuid

    from app.attendance.presence.models import PresenceEvent

    async with admin_session(runtime) as db:
        event = await db.get(PresenceEvent, uuid.UUID(came["event"]["id"]))
        assert event.device_id is not None
    # Switching someone else in switches Pernille out.
    assert (await client.gql("TabletStaff", token=switched["token"]))["tabletStaff"] == []


async def test_pin_is_throttled(client, runtime):
    tablet = await pair(client, "STAFF_TABLET")
    await set_pin(client, STAFF, "4711")
    results = [
        (await switch_in(client, tablet["token"], "Pernille Holm", "1234"))["__typename"]
        for _ in range(6)
    ]
    assert results[:5] == ["InvalidCredentialsError"] * 5
    assert results[5] == "TooManyAttemptsError"
    locked = await switch_in(client, tablet["token"], "Pernille Holm", "4711")
    assert locked["__typename"] == "TooManyAttemptsError" and locked["retryAfterSeconds"] > 0


async def test_a_revoked_tablet_stops_at_once(client):
    tablet = await pair(client, "STAFF_TABLET")
    await set_pin(client, STAFF, "4711")
    switched = await switch_in(client, tablet["token"], "Pernille Holm", "4711")
    revoked = (
        await client.gql("RevokeDevice", {"deviceId": tablet["device"]["id"]}, as_=SOLSIKKEN_ADMIN)
    )["revokeDevice"]
    assert revoked["revokedAt"] is not None
    for token in (tablet["token"], switched["token"]):
        payload = await client.execute("TabletStaff", token=token)
        assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    listed = (await client.gql("Devices", {"institutionId": iid}, as_=SOLSIKKEN_ADMIN))["devices"]
    assert listed[0]["revokedAt"] is not None
    assert (await client.gql("Devices", {"institutionId": iid}, as_=STAFF))["devices"] == []


async def test_only_admins_of_the_institution_pair_devices(client):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    for actor in (REGNBUEN_ADMIN, STAFF, MOTHER):
        result = (
            await client.gql(
                "PairDevice", {"institutionId": iid, "role": "KIOSK", "label": "X"}, as_=actor
            )
        )["pairDevice"]
        assert result["code"] == "NOT_FOUND", actor


async def _kiosk_check(client, token, child_id, action, **credentials):
    variables = {
        "input": {
            "eventId": new_event(),
            "childId": child_id,
            "at": ago(0.2),
            "action": action,
            **credentials,
        }
    }
    return (await client.gql("KioskCheck", variables, token=token))["kioskCheck"]


async def test_a_guardian_checks_in_and_out_at_the_kiosk_with_a_pin(client):
    kiosk = (await pair(client, "KIOSK", "Indgang"))["token"]
    child = await liva(client)
    await set_pin(client, MOTHER, "2468")
    wrong = await _kiosk_check(client, kiosk, child["id"], "CHECK_IN", pin="1111")
    assert wrong["__typename"] == "InvalidCredentialsError"
    came = await _kiosk_check(client, kiosk, child["id"], "CHECK_IN", pin="2468")
    assert came["presence"]["checkedInBy"] == "Mette Holm-Jensen"
    went = await _kiosk_check(client, kiosk, child["id"], "CHECK_OUT", pin="2468")
    assert went["presence"]["pickedUpBy"] == {"kind": "GUARDIAN", "name": "Mette Holm-Jensen"}
    # Not her child: the kiosk does not say whether the PIN was right.
    other = await other_child(client)
    assert (await _kiosk_check(client, kiosk, other["id"], "CHECK_IN", pin="2468"))[
        "__typename"
    ] == "InvalidCredentialsError"


async def test_the_kiosk_can_do_nothing_else(client):
    kiosk = (await pair(client, "KIOSK"))["token"]
    child = await liva(client)
    assert (await check_in(client, child["id"], token=kiosk))["code"] == "NOT_FOUND"
    assert (await client.gql("Node", {"id": child["id"]}, token=kiosk))["node"] is None
    assert (await client.gql("TabletStaff", token=kiosk))["tabletStaff"] == []
    pin = (await client.gql("SetPersonalPin", {"pin": "1234"}, token=kiosk))["setPersonalPin"]
    assert pin["code"] == "NOT_FOUND"
    # And a staff login cannot use the kiosk's operation.
    result = (
        await client.gql(
            "KioskCheck",
            {
                "input": {
                    "eventId": new_event(),
                    "childId": child["id"],
                    "at": ago(0.2),
                    "action": "CHECK_IN",
                    "pin": "1234",
                }
            },
            as_=STAFF,
        )
    )["kioskCheck"]
    assert result["code"] == "NOT_FOUND"


async def test_a_qr_code_is_single_use_and_only_for_the_guardians_children(client):
    kiosk = (await pair(client, "KIOSK"))["token"]
    child = await liva(client)
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    code = (await client.gql("KioskCode", {"institutionId": iid}, as_=MOTHER))["kioskCode"]
    assert code["__typename"] == "KioskCode" and code["expiresInSeconds"] == 120
    came = await _kiosk_check(client, kiosk, child["id"], "CHECK_IN", qrToken=code["token"])
    assert came["__typename"] == "PresenceChanged"
    used = await _kiosk_check(client, kiosk, child["id"], "CHECK_OUT", qrToken=code["token"])
    assert used["__typename"] == "InvalidCredentialsError" and used["field"] == "qrToken"
    forged = await _kiosk_check(client, kiosk, child["id"], "CHECK_OUT", qrToken="abc.def")
    assert forged["__typename"] == "InvalidCredentialsError"
    # Jonas has information access only: no code for the kiosk's checks of Liva.
    jonas = (await client.gql("KioskCode", {"institutionId": iid}, as_=FATHER))["kioskCode"]
    refused = await _kiosk_check(client, kiosk, child["id"], "CHECK_OUT", qrToken=jonas["token"])
    assert refused["code"] == "NOT_FOUND"
    # A stranger's institution: no code at all.
    other = (await client.gql("KioskCode", {"institutionId": iid}, as_=REGNBUEN_ADMIN))["kioskCode"]
    assert other["code"] == "NOT_FOUND"


async def test_guardian_link_helper_is_consistent(client):
    child = await liva(client)
    assert guardian_link(child) != guardian_link(child, FATHER)


async def test_guardian_pins_at_the_kiosk_are_throttled(client):
    kiosk = (await pair(client, "KIOSK"))["token"]
    child = await liva(client)
    await set_pin(client, MOTHER, "2468")
    answers = [
        (await _kiosk_check(client, kiosk, child["id"], "CHECK_IN", pin=f"{1000 + n}"))[
            "__typename"
        ]
        for n in range(6)
    ]
    assert answers[:5] == ["InvalidCredentialsError"] * 5
    assert answers[5] == "TooManyAttemptsError"
    # Even the right PIN waits now, for this child at this kiosk.
    locked = await _kiosk_check(client, kiosk, child["id"], "CHECK_IN", pin="2468")
    assert locked["__typename"] == "TooManyAttemptsError"
