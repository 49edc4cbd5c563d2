"""The security matrix of push registrations: nobody lists or removes another's device, and
every operation needs a live session (a revoked one's devices are gone with it)."""

from __future__ import annotations

from tests.helpers import SOLSIKKEN_ADMIN
from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    device_tokens,
    not_found,
    without,
)

JONAS = "jonas@example.com"
METTE = "mette@example.com"


async def test_nobody_lists_or_removes_anothers_push_device(client):
    made = await client.gql(
        "RegisterPushDevice", {"input": {"platform": "IOS", "token": "cd" * 32}}, as_=JONAS
    )
    device_id = made["registerPushDevice"]["device"]["id"]
    cases = [
        Case("UnregisterPushDevice", {"deviceId": device_id}, not_found("unregisterPushDevice")),
        Case("MyPushDevices", {}, without("myPushDevices", "id", [device_id])),
        Case("MySessionsWithPushDevices", {}),
    ]
    await assert_refused(client, cases, [*STRANGERS, METTE, SOLSIKKEN_ADMIN])
    mine = (await client.gql("MyPushDevices", as_=JONAS))["myPushDevices"]
    assert [d["id"] for d in mine] == [device_id]


async def test_a_paired_tablets_own_session_registers_nothing(client):
    from tests.helpers import institution_id

    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    cases = [
        Case(
            "RegisterPushDevice",
            {"input": {"platform": "IOS", "token": "ef" * 32}},
            not_found("registerPushDevice"),
        )
    ]
    await assert_refused(client, cases, [], tokens=await device_tokens(client, iid))


async def test_push_registrations_need_a_live_session(client):
    cases = [
        Case("RegisterPushDevice", {"input": {"platform": "IOS", "token": "ab" * 32}}),
        Case("UnregisterPushDevice", {"deviceId": "x"}),
        Case("MyPushDevices", {}),
        Case("MySessionsWithPushDevices", {}),
    ]
    await assert_unauthenticated(client, cases, await dead_sessions(client))
