"""Push registrations through the API: register, list, move, unregister; revoking a session
removes its devices; bad tokens and unsafe Web Push endpoints are refused with a reason."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import PushDevice
from app.bench.push_keys import BrowserKeys

METTE = "mette@example.com"
JONAS = "jonas@example.com"
IOS_TOKEN = "ab" * 32


def web(endpoint: str, keys: BrowserKeys | None = None) -> dict[str, object]:
    keys = keys or BrowserKeys.new()
    return {
        "platform": "WEB",
        "webPush": {"endpoint": endpoint, "keys": {"p256dh": keys.p256dh, "auth": keys.auth_b64}},
    }


async def register(client, as_, input_, token=None):
    kwargs = {"token": token} if token else {"as_": as_}
    return (await client.gql("RegisterPushDevice", {"input": input_}, **kwargs))[
        "registerPushDevice"
    ]


async def test_three_platforms_registered_listed_and_shown_in_my_sessions(client):
    ios = await register(
        client, METTE, {"platform": "IOS", "token": IOS_TOKEN, "appVersion": "3.1"}
    )
    android = await register(
        client, METTE, {"platform": "ANDROID", "token": "fcm-token:" + "x" * 40, "language": "en"}
    )
    browser = await register(client, METTE, web("https://fcm.googleapis.com/fcm/send/abc"))
    for result in (ios, android, browser):
        assert result["__typename"] == "PushDeviceRegistered", result
    listed = (await client.gql("MyPushDevices", as_=METTE))["myPushDevices"]
    assert {d["platform"] for d in listed} == {"IOS", "ANDROID", "WEB"}
    assert {d["language"] for d in listed} == {"da", "en"}
    sessions = (await client.gql("MySessionsWithPushDevices", as_=METTE))["mySessions"]
    current = next(s for s in sessions if s["isCurrent"])
    assert len(current["pushDevices"]) == 3


async def test_registering_again_refreshes_the_one_row(client, db):
    first = await register(client, METTE, {"platform": "IOS", "token": IOS_TOKEN})
    again = await register(
        client, METTE, {"platform": "IOS", "token": IOS_TOKEN.upper(), "appVersion": "4"}
    )
    assert first["device"]["id"] == again["device"]["id"]
    assert again["device"]["appVersion"] == "4"


async def test_a_token_another_user_registered_moves_to_the_new_user(client, db):
    await register(client, METTE, {"platform": "IOS", "token": IOS_TOKEN})
    moved = await register(client, JONAS, {"platform": "IOS", "token": IOS_TOKEN})
    assert moved["__typename"] == "PushDeviceRegistered"
    assert (await client.gql("MyPushDevices", as_=METTE))["myPushDevices"] == []
    assert len((await client.gql("MyPushDevices", as_=JONAS))["myPushDevices"]) == 1
    async with db as session:
        assert await session.scalar(select(func.count()).select_from(PushDevice)) == 1


async def test_revoking_or_ending_a_session_removes_its_devices(client, db):
    other = (await client.gql("Login", {"email": METTE, "password": "seddel-demo"}))["login"]
    await register(client, None, {"platform": "ANDROID", "token": "f" * 30}, token=other["token"])
    await register(client, METTE, {"platform": "IOS", "token": IOS_TOKEN})
    revoked = await client.gql("RevokeSession", {"sessionId": other["session"]["id"]}, as_=METTE)
    assert revoked["revokeSession"]["__typename"] == "SessionRevoked"
    listed = (await client.gql("MyPushDevices", as_=METTE))["myPushDevices"]
    assert [d["platform"] for d in listed] == ["IOS"]
    await client.gql("Logout", as_=METTE)
    client.tokens.pop(METTE, None)
    async with db as session:
        assert await session.scalar(select(func.count()).select_from(PushDevice)) == 0


async def test_unregister_removes_only_ones_own(client):
    mine = await register(client, METTE, {"platform": "IOS", "token": IOS_TOKEN})
    device_id = mine["device"]["id"]
    theirs = await client.gql("UnregisterPushDevice", {"deviceId": device_id}, as_=JONAS)
    assert theirs["unregisterPushDevice"]["code"] == "NOT_FOUND"
    done = await client.gql("UnregisterPushDevice", {"deviceId": device_id}, as_=METTE)
    assert done["unregisterPushDevice"]["deviceId"] == device_id
    assert (await client.gql("MyPushDevices", as_=METTE))["myPushDevices"] == []


@pytest.mark.parametrize(
    ("input_", "field", "reason"),
    [
        ({"platform": "IOS", "token": "not-hex"}, "token", "INVALID_PUSH_TOKEN"),
        ({"platform": "IOS"}, "token", "INVALID_PUSH_TOKEN"),
        ({"platform": "ANDROID", "token": "short"}, "token", "INVALID_PUSH_TOKEN"),
        ({"platform": "ANDROID", "token": "a b" * 20}, "token", "INVALID_PUSH_TOKEN"),
        ({"platform": "WEB", "token": "x" * 40}, "webPush", "INVALID_PUSH_SUBSCRIPTION"),
        (web("http://push.example.com/x"), "webPush.endpoint", "PUSH_ENDPOINT_REFUSED"),
        (web("https://127.0.0.1/x"), "webPush.endpoint", "PUSH_ENDPOINT_REFUSED"),
        (web("https://10.0.0.8/x"), "webPush.endpoint", "PUSH_ENDPOINT_REFUSED"),
        (web("https://169.254.169.254/latest"), "webPush.endpoint", "PUSH_ENDPOINT_REFUSED"),
        (web("https://[::1]/x"), "webPush.endpoint", "PUSH_ENDPOINT_REFUSED"),
        (web("https://[fd00::1]/x"), "webPush.endpoint", "PUSH_ENDPOINT_REFUSED"),
        (web("https://localhost/x"), "webPush.endpoint", "PUSH_ENDPOINT_REFUSED"),
        (web("https://metadata/x"), "webPush.endpoint", "PUSH_ENDPOINT_REFUSED"),
        (web("https://db.internal/x"), "webPush.endpoint", "PUSH_ENDPOINT_REFUSED"),
        (web("https://user:pw@push.example.com/x"), "webPush.endpoint", "PUSH_ENDPOINT_REFUSED"),
        (web("ftp://push.example.com/x"), "webPush.endpoint", "PUSH_ENDPOINT_REFUSED"),
        (
            {
                "platform": "WEB",
                "webPush": {
                    "endpoint": "https://push.example.com/x",
                    "keys": {"p256dh": "AAAA", "auth": "AAAA"},
                },
            },
            "webPush.p256dh",
            "INVALID_PUSH_SUBSCRIPTION",
        ),
        ({"platform": "IOS", "token": IOS_TOKEN, "language": "fr"}, "language", "INVALID_LANGUAGE"),
    ],
)
async def test_bad_registrations_are_refused_with_a_reason_and_change_nothing(
    client, db, input_, field, reason
):
    payload = await client.execute("RegisterPushDevice", {"input": input_}, as_=METTE)
    result = payload["data"]["registerPushDevice"]
    assert result["__typename"] == "ValidationError", result
    assert result["field"] == field
    assert result["code"] == "INVALID"
    async with db as session:
        assert await session.scalar(select(func.count()).select_from(PushDevice)) == 0
    assert reason  # the reason is the message key in capitals (tests/core/test_reasons.py)
