"""The security matrix of the kiosk's sign-in (`kioskSignIn`): only a paired kiosk asks; any
person's login (another institution's admin or staff, the guardian herself) is NOT_FOUND;
no session, a revoked one or a made-up token is UNAUTHENTICATED."""

from __future__ import annotations

from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    not_found,
)

SIGN_IN = Case("KioskSignIn", {"phone": "+45 20 30 40 50", "pin": "2468"}, not_found("kioskSignIn"))


async def test_kiosk_sign_in_is_a_kiosks_only(client):
    await assert_refused(client, [SIGN_IN], [*STRANGERS, "mette@example.com"])
    await assert_unauthenticated(client, [SIGN_IN], await dead_sessions(client))
