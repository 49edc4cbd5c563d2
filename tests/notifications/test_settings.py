"""A user's own notification settings: channels, e-mail digest, quiet hours, timezone."""

from __future__ import annotations

METTE = "mette@example.com"


async def test_defaults_then_own_changes(client):
    data = await client.gql("NotificationSettings", as_=METTE)
    assert data["notificationSettings"] == {
        "pushEnabled": True,
        "emailDigestEnabled": True,
        "quietHours": None,
        "timezone": None,
    }
    changed = await client.gql(
        "UpdateNotificationSettings",
        {"input": {"emailDigestEnabled": False, "quietHours": {"start": "21:00:00", "end": "07:00:00"}, "timezone": "Europe/Copenhagen"}},
        as_=METTE,
    )
    result = changed["updateNotificationSettings"]
    assert result["__typename"] == "NotificationSettings"
    assert result["quietHours"] == {"start": "21:00:00", "end": "07:00:00"}
    assert result["emailDigestEnabled"] is False and result["pushEnabled"] is True
    # Only her own: Jonas still has the defaults.
    jonas = await client.gql("NotificationSettings", as_="jonas@example.com")
    assert jonas["notificationSettings"]["quietHours"] is None
    cleared = await client.gql(
        "UpdateNotificationSettings", {"input": {"clearQuietHours": True, "timezone": ""}}, as_=METTE
    )
    assert cleared["updateNotificationSettings"]["quietHours"] is None
    assert cleared["updateNotificationSettings"]["timezone"] is None
    assert cleared["updateNotificationSettings"]["emailDigestEnabled"] is False


async def test_bad_settings_are_refused_and_nothing_changes(client):
    for variables, field in (
        ({"quietHours": {"start": "07:00:00", "end": "07:00:00"}}, "quietHours"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ):
        result = await client.gql("UpdateNotificationSettings", {"input": {"pushEnabled": False, **variables}}, as_=METTE)
        assert result["updateNotificationSettings"]["field"] == field
    data = await client.gql("NotificationSettings", as_=METTE)
    assert data["notificationSettings"]["pushEnabled"] is True
    payload = await client.execute("UpdateNotificationSettings", {"input": {"pushEnabled": False}})
    assert payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
