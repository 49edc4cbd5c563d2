"""The security matrix of the gallery's reads with a dead session (no token, a revoked one,
a made-up one), and the photo's consents for outsiders. Strangers' reads and every gallery
mutation: tests/security/test_matrix.py."""

from __future__ import annotations

from typing import Any

from tests.security.matrix import (
    STRANGERS,
    Case,
    assert_refused,
    assert_unauthenticated,
    dead_sessions,
    null,
    other_family_guardian,
    revoked_token,
)
from tests.security.test_matrix import _gallery_setup


def _reads(ids: dict[str, str]) -> list[Case]:
    return [
        Case("PhotoConsent", {"childId": ids["liva"]}, null("photoConsent")),
        Case("GroupPhotoConsents", {"groupId": ids["group"]}),
        Case("PhotoAlbums", {"groupId": ids["group"]}),
        Case("PhotoAlbum", {"groupId": ids["group"]}),
        Case("ChildPhotos", {"childId": ids["liva"]}),
        Case("PhotoNode", {"id": ids["photo"]}, null("node")),
        Case("PhotoWithConsents", {"id": ids["photo"]}, null("node")),
        Case("PhotoDownload", {"id": ids["photo"], "variant": "FULL"}, null("node")),
    ]


async def test_gallery_reads_need_a_live_session(client):
    ids = await _gallery_setup(client)
    await assert_unauthenticated(client, _reads(ids), await dead_sessions(client))
    revoked = await revoked_token(client, "mette@example.com")
    for token in (None, revoked):
        headers: dict[str, Any] = {"Authorization": f"Bearer {token}"} if token else {}
        export = await client.http.get(f"/children/{ids['liva']}/photos.zip", headers=headers)
        assert export.status_code == 401, token


async def test_a_photos_consents_are_not_shown_to_outsiders(client):
    ids = await _gallery_setup(client)
    readable = [c for c in _reads(ids) if c.expect]  # the node and consent reads
    await assert_refused(client, readable, [*STRANGERS, await other_family_guardian(client)])
    mine = await client.gql("PhotoWithConsents", {"id": ids["photo"]}, as_="mette@example.com")
    assert mine["node"]["id"] == ids["photo"]
