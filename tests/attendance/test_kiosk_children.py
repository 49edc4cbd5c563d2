"""The kiosk's "choose your child": a guardian signs in with phone number and PIN and gets the
children of the kiosk's institution they may check in or out there, first name and group only."""

from __future__ import annotations

from tests.attendance.presence_support import FATHER, MOTHER, STAFF, ago, new_event, pair, set_pin

PHONE = "+45 20 30 40 50"


async def _with_phone(client, email: str, phone: str = PHONE) -> None:
    changed = await client.gql("UpdateMyProfile", {"input": {"phone": phone}}, as_=email)
    assert changed["updateMyProfile"]["__typename"] == "MyProfile", changed


async def _sign_in(client, kiosk: str, phone: str, pin: str) -> dict:
    data = await client.gql("KioskSignIn", {"phone": phone, "pin": pin}, token=kiosk)
    result: dict = data["kioskSignIn"]
    return result


async def test_a_guardian_chooses_her_child_and_checks_it_in(client, assert_max_queries):
    kiosk = (await pair(client, "KIOSK", "Indgang"))["token"]
    await _with_phone(client, MOTHER)
    await set_pin(client, MOTHER, "2468")
    with assert_max_queries(10):
        signed_in = await _sign_in(client, kiosk, "20304050", "2468")
    # Oscar is Mette's too, but in Regnbuen: not this kiosk's.
    assert signed_in == {
        "__typename": "KioskChildren",
        "children": [
            {"id": signed_in["children"][0]["id"], "firstName": "Liva", "groupName": "Bjørnene"}
        ],
    }
    came = await client.gql(
        "KioskCheck",
        {
            "input": {
                "eventId": new_event(),
                "childId": signed_in["children"][0]["id"],
                "at": ago(0.1),
                "action": "CHECK_IN",
                "pin": "2468",
            }
        },
        token=kiosk,
    )
    assert came["kioskCheck"]["__typename"] == "PresenceChanged"


async def test_wrong_pin_unknown_number_and_information_access_are_one_refusal(client):
    kiosk = (await pair(client, "KIOSK"))["token"]
    await _with_phone(client, MOTHER)
    await set_pin(client, MOTHER, "2468")
    await _with_phone(client, FATHER, "+45 30 40 50 60")
    await set_pin(client, FATHER, "1357")
    for phone, pin in ((PHONE, "1111"), ("+45 99 88 77 66", "2468"), ("nonsense", "2468")):
        refused = await _sign_in(client, kiosk, phone, pin)
        assert refused["__typename"] == "InvalidCredentialsError", (phone, refused)
    # Jonas may only read about Liva: nothing to check in or out.
    jonas = await _sign_in(client, kiosk, "+45 30 40 50 60", "1357")
    assert jonas["__typename"] == "InvalidCredentialsError"
    # Only a kiosk asks: a staff login is told nothing.
    staff = (await client.gql("KioskSignIn", {"phone": PHONE, "pin": "2468"}, as_=STAFF))[
        "kioskSignIn"
    ]
    assert staff["code"] == "NOT_FOUND"


async def test_kiosk_sign_in_is_throttled_per_number(client):
    kiosk = (await pair(client, "KIOSK"))["token"]
    await _with_phone(client, MOTHER)
    await set_pin(client, MOTHER, "2468")
    answers = [(await _sign_in(client, kiosk, PHONE, f"{1000 + n}"))["__typename"] for n in range(6)]
    assert answers == ["InvalidCredentialsError"] * 5 + ["TooManyAttemptsError"]
    assert (await _sign_in(client, kiosk, PHONE, "2468"))["__typename"] == "TooManyAttemptsError"
