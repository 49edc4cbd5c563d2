"""Attachments: uploads (POST /uploads, purpose "attachment") claimed by messages, readable by
the thread's participants only, their objects deleted with the message or thread."""

from __future__ import annotations

from io import BytesIO

from PIL import Image

from tests.files import jpeg_bytes, pdf_bytes, upload, upload_response
from tests.messaging.util import (
    KARSTEN,
    METTE,
    PERNILLE,
    demo,
    scoped,
    send,
    start,
    started,
    thread,
)

FILES_QUERY = """
query MessageFiles($id: ID!) {
  node(id: $id) {
    ... on Message { files { id filename contentType isImage url variants } }
  }
}
"""


async def _files(client, as_: str, message_id: str):
    payload = await client.execute("MessageFiles", {"id": message_id}, as_=as_, query=FILES_QUERY)
    node = payload["data"]["node"]
    return None if node is None else node["files"]


_INSTITUTIONS: list[str] = []


async def _upload(client, d, as_: str, filename: str, data: bytes) -> dict:
    _INSTITUTIONS[:] = [d.institution]
    return await upload(
        client,
        as_=as_,
        institution=d.institution,
        purpose="attachment",
        filename=filename,
        data=data,
    )


async def test_attachments_reach_participants_only_and_images_lose_their_gps(client, runtime):
    d = await demo(client)
    pdf = await _upload(client, d, PERNILLE, "madplan.pdf", pdf_bytes())
    photo = await _upload(client, d, PERNILLE, "tur.jpg", jpeg_bytes())
    (t,) = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen")]},
        body="",
        fileIds=[pdf["id"], photo["id"]],
    )
    message_id = t["lastMessage"]["id"]
    files = await _files(client, METTE, message_id)
    assert [f["filename"] for f in files] == ["madplan.pdf", "tur.jpg"]
    assert files[0]["contentType"] == "application/pdf"
    assert all(f["url"] for f in files)
    # The stored image carries no EXIF (no GPS position).
    image_file = files[1]
    stored = await runtime.storage.get(
        next(
            v["key"]
            for v in (await _stored_variants(runtime, image_file["id"])).values()
            if v["content_type"] == "image/jpeg"
        )
    )
    assert not Image.open(BytesIO(stored)).getexif()
    other = d.other_bjornene_family()["guardians"][0]["email"]
    assert await _files(client, other, message_id) is None
    assert await _files(client, KARSTEN, message_id) is None


async def _stored_variants(runtime, file_global_id: str) -> dict:
    from app.api.ids import decode
    from app.files.models import StoredFile

    async with scoped(runtime, *_INSTITUTIONS) as db:
        row = await db.get(StoredFile, decode(file_global_id, "File", field="x"))
        return dict(row.variants)


async def test_foreign_used_or_unknown_files_are_refused_and_nothing_is_written(client):
    d = await demo(client)
    (t,) = await started(
        client, PERNILLE, d.institution, {"children": [d.child("Liva Holm-Jensen")]}
    )
    mettes = await _upload(client, d, METTE, "seddel.pdf", pdf_bytes())
    before = (await thread(client, PERNILLE, t["id"]))["lastMessage"]["id"]
    # Someone else's upload.
    refused = await send(client, PERNILLE, t["id"], "Se her", fileIds=[mettes["id"]])
    assert (refused["code"], refused["field"]) == ("NOT_FOUND", "fileIds")
    # Not a file ID at all.
    refused = await send(client, PERNILLE, t["id"], "Se her", fileIds=[t["id"]])
    assert (refused["code"], refused["field"]) == ("NOT_FOUND", "fileIds")
    assert (await thread(client, PERNILLE, t["id"]))["lastMessage"]["id"] == before
    # Her own works once; a second use is refused.
    ok = await send(client, METTE, t["id"], "", fileIds=[mettes["id"]])
    assert ok["__typename"] == "Message"
    again = await send(client, METTE, t["id"], "igen", fileIds=[mettes["id"]])
    assert again["code"] == "NOT_FOUND"
    # Empty text without files is still an empty message.
    assert (await send(client, METTE, t["id"], "", fileIds=[]))["code"] == "INVALID"


async def test_disguised_and_oversized_files_are_refused_at_upload(client):
    d = await demo(client)
    disguised = await upload_response(
        client,
        as_=PERNILLE,
        institution=d.institution,
        purpose="attachment",
        filename="madplan.pdf",
        data=b"MZ\x90\x00" + b"\x00" * 200,
        content_type="application/pdf",
    )
    assert disguised.status_code in (415, 422)
    oversized = await upload_response(
        client,
        as_=PERNILLE,
        institution=d.institution,
        purpose="attachment",
        filename="stor.pdf",
        data=pdf_bytes() + b"0" * (25 * 1024 * 1024 + 1),
    )
    assert oversized.status_code == 413


async def test_deleting_a_message_or_thread_deletes_its_objects(client, runtime):
    d = await demo(client)
    first = await _upload(client, d, PERNILLE, "a.pdf", pdf_bytes())
    second = await _upload(client, d, PERNILLE, "b.pdf", pdf_bytes())
    (t,) = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen")]},
        fileIds=[first["id"]],
    )
    first_keys = [v["key"] for v in (await _stored_variants(runtime, first["id"])).values()]
    later = await send(client, PERNILLE, t["id"], "Nummer to", fileIds=[second["id"]])
    second_keys = [v["key"] for v in (await _stored_variants(runtime, second["id"])).values()]
    assert all([await runtime.storage.exists(k) for k in first_keys + second_keys])
    deleted = await client.gql("DeleteMessage", {"messageId": later["id"]}, as_=PERNILLE)
    assert deleted["deleteMessage"]["isDeleted"] is True
    assert not any([await runtime.storage.exists(k) for k in second_keys])
    assert all([await runtime.storage.exists(k) for k in first_keys])
    await client.gql("DeleteThread", {"threadId": t["id"]}, as_=PERNILLE)
    assert not any([await runtime.storage.exists(k) for k in first_keys])


async def test_a_fanned_out_attachment_lives_until_its_last_message(client, runtime):
    d = await demo(client)
    shared = await _upload(client, d, PERNILLE, "brev.pdf", pdf_bytes())
    other = d.other_bjornene_family()
    result = await start(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen"), other["id"]]},
        fileIds=[shared["id"]],
    )
    first, second = result["threads"]
    keys = [v["key"] for v in (await _stored_variants(runtime, shared["id"])).values()]
    await client.gql("DeleteThread", {"threadId": first["id"]}, as_=PERNILLE)
    assert all([await runtime.storage.exists(k) for k in keys])
    await client.gql("DeleteThread", {"threadId": second["id"]}, as_=PERNILLE)
    assert not any([await runtime.storage.exists(k) for k in keys])
