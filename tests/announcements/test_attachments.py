"""Attachments: the author's own uploads, claimed once; shown with short-lived links; gone
with the announcement."""

from __future__ import annotations

from tests.announcements.helpers import METTE, PERNILLE, listed, post
from tests.files import jpeg_bytes, pdf_bytes, upload
from tests.helpers import SOLSIKKEN_ADMIN, institution_id


async def _upload(client, as_: str, filename: str, data: bytes) -> str:
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    made = await upload(client, as_=as_, institution=iid, purpose="attachment", filename=filename, data=data)
    return str(made["id"])


async def test_attachments_are_shown_to_recipients_and_deleted_with_it(client, runtime):
    pdf = await _upload(client, PERNILLE, "madplan.pdf", pdf_bytes())
    jpg = await _upload(client, PERNILLE, "skoven.jpg", jpeg_bytes())
    made = await post(client, attachmentIds=[pdf, jpg])
    assert made["__typename"] == "Announcement", made
    seen = (await listed(client, METTE))[0]["attachments"]
    assert [a["id"] for a in seen] == [pdf, jpg]
    assert [a["isImage"] for a in seen] == [False, True]
    local = seen[0]["url"].replace(runtime.settings.public_url, "")
    assert (await client.http.get(local)).status_code == 200
    # A file is claimed once: another announcement cannot take it.
    again = await post(client, attachmentIds=[pdf])
    assert again["code"] == "NOT_FOUND" and again["field"] == "attachmentIds"
    deleted = await client.gql("DeleteAnnouncement", {"announcementId": made["id"]}, as_=PERNILLE)
    assert deleted["deleteAnnouncement"]["__typename"] == "AnnouncementDeleted"
    root = runtime.storage.root
    left = [p for p in root.rglob("*") if p.is_file() and not {".meta", ".tmp"} & set(p.relative_to(root).parts)]
    assert left == []


async def test_only_own_unclaimed_attachments_can_be_used(client):
    theirs = await _upload(client, METTE, "tegning.jpg", jpeg_bytes())
    result = await post(client, attachmentIds=[theirs])
    assert result["code"] == "NOT_FOUND" and result["field"] == "attachmentIds"
    assert await listed(client, SOLSIKKEN_ADMIN) == []
    bogus = await post(client, attachmentIds=["nonsense"])
    assert bogus["field"] == "attachmentIds"
