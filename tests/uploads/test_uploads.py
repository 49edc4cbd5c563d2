"""POST /uploads: content decides, images come out clean, nothing half-stored on failure."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from app.api.ids import decode
from app.core.i18n import translate
from app.db import scope, utcnow
from app.files.service import uploads as files
from app.storage import ObjectNotFound
from tests.files import (
    bomb_png,
    docx_bytes,
    heic_bytes,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    upload,
    upload_response,
)
from tests.helpers import REGNBUEN_ADMIN, SOLSIKKEN_ADMIN, institution_id
from tests.uploads.common import METTE, PAEDAGOG, stored_count, stored_row


async def test_a_phone_photo_is_turned_upright_and_loses_exif_gps_and_comment(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    made = await upload(
        client,
        as_=PAEDAGOG,
        institution=iid,
        purpose="photo",
        filename="IMG_0042.JPG",
        data=jpeg_bytes(2400, 1200),
    )
    # Orientation 6 turns the 2400x1200 picture upright: 1200 wide, 2400 high.
    assert (made["width"], made["height"]) == (1200, 2400)
    assert made["variants"] == ["full", "display", "thumbnail"]
    assert made["filename"] == "IMG_0042.jpg" and made["contentType"] == "image/jpeg"
    row = await stored_row(runtime, iid, made["id"])
    assert row is not None and row.claimed_at is None and row.purpose == "photo"
    sizes = {}
    for name, meta in row.variants.items():
        assert meta["key"].startswith(f"institutions/{row.institution_id}/files/{row.id}/")
        served = Image.open(io.BytesIO(await runtime.storage.get(meta["key"])))
        exif = served.getexif()
        assert dict(exif) == {}
        assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert "comment" not in served.info and "exif" not in served.info
        sizes[name] = served.size
    assert sizes == {"full": (1200, 2400), "display": (800, 1600), "thumbnail": (160, 320)}


async def test_heic_from_an_ipad_becomes_jpeg_and_png_keeps_its_transparency(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    heic = await upload(
        client,
        as_=PAEDAGOG,
        institution=iid,
        purpose="photo",
        filename="IMG_7.HEIC",
        data=heic_bytes(),
    )
    assert heic["filename"] == "IMG_7.jpg" and heic["contentType"] == "image/jpeg"
    assert (heic["width"], heic["height"]) == (120, 90)
    png = await upload(
        client,
        as_=METTE,
        institution=iid,
        purpose="attachment",
        filename="tegning.png",
        data=png_bytes(alpha=True),
    )
    assert png["contentType"] == "image/png" and png["variants"] == ["original", "thumbnail"]


async def test_documents_are_recognised_by_content(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    for name, data, content_type in [
        ("madplan.pdf", pdf_bytes(), "application/pdf"),
        (
            "brev.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("huskeliste.txt", "Regntøj og skiftetøj 🌧".encode(), "text/plain; charset=utf-8"),
        ("madplan", pdf_bytes(), "application/pdf"),
    ]:
        made = await upload(
            client, as_=METTE, institution=iid, purpose="attachment", filename=name, data=data
        )
        assert made["contentType"] == content_type and made["variants"] == ["original"]
        row = await stored_row(runtime, iid, made["id"])
        assert row is not None
        assert await runtime.storage.get(row.variants["original"]["key"]) == data


@pytest.mark.parametrize(
    ("purpose", "filename", "data", "code", "status"),
    [
        ("photo", "ferie.jpg", pdf_bytes(), "not_an_image", 422),
        ("photo", "ferie.png", jpeg_bytes(), "file_type_mismatch", 422),
        ("attachment", "ferie.jpg", pdf_bytes(), "file_type_mismatch", 422),
        ("attachment", "regning.pdf", docx_bytes(), "file_type_mismatch", 422),
        ("photo", "photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00garbage" * 50, "not_an_image", 422),
        ("photo", "photo.jpg", b"just some text", "not_an_image", 422),
        (
            "attachment",
            "program.pdf",
            b"MZ\x90\x00\x03" + b"\x00" * 100,
            "unsupported_file_type",
            422,
        ),
        (
            "attachment",
            "program.exe",
            b"MZ\x90\x00\x03" + b"\x00" * 100,
            "unsupported_file_type",
            422,
        ),
        ("photo", "bomb.png", bomb_png(), "image_too_many_pixels", 422),
        ("photo", "empty.jpg", b"", "file_empty", 422),
        (
            "pickup_photo",
            "big.jpg",
            b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024),
            "file_too_large",
            413,
        ),
        ("selfie", "x.jpg", jpeg_bytes(), "unknown_upload_purpose", 422),
    ],
)
async def test_bad_files_are_refused_and_nothing_is_stored(
    client, runtime, purpose, filename, data, code, status
):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    before = await stored_count(runtime, iid)
    response = await upload_response(
        client, as_=PAEDAGOG, institution=iid, purpose=purpose, filename=filename, data=data
    )
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] in ("INVALID", "NOT_FOUND") and body["field"] in ("file", "purpose")
    assert body["detail"] == translate(code, "da", max_mb=10, megapixels=40)
    assert await stored_count(runtime, iid) == before


async def test_a_body_over_the_largest_limit_is_cut_off(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    response = await upload_response(
        client,
        as_=PAEDAGOG,
        institution=iid,
        purpose="attachment",
        filename="x.pdf",
        data=b"%PDF-" + b"0" * (27 * 1024 * 1024),
    )
    assert response.status_code == 413


async def test_who_may_upload_what_where(client, runtime):
    solsikken = await institution_id(client, SOLSIKKEN_ADMIN)
    regnbuen = await institution_id(client, REGNBUEN_ADMIN)
    anonymous = await upload_response(
        client,
        as_=None,
        institution=solsikken,
        purpose="attachment",
        filename="a.pdf",
        data=pdf_bytes(),
    )
    assert anonymous.status_code == 401
    cases = [
        (REGNBUEN_ADMIN, solsikken, "attachment", 404),  # another institution
        ("lars@regnbuen.example", solsikken, "photo", 404),
        (METTE, solsikken, "photo", 404),  # guardians don't post photos
        ("jonas@example.com", solsikken, "pickup_photo", 404),  # no custody
        (METTE, solsikken, "pickup_photo", 201),
        (METTE, regnbuen, "attachment", 201),  # Oscar's institution: one login, two places
        (PAEDAGOG, solsikken, "photo", 201),
    ]
    for who, where, purpose, status in cases:
        response = await upload_response(
            client,
            as_=who,
            institution=where,
            purpose=purpose,
            filename="a.jpg",
            data=jpeg_bytes(64, 48),
        )
        assert response.status_code == status, (who, purpose, response.text)


async def test_claim_takes_only_the_actors_own_fresh_uploads(client, runtime):
    from app.accounts.models import User
    from app.institutions.service.actor import load_actor

    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    institution = decode(iid, "Institution", field="i")
    mine = await upload(
        client, as_=METTE, institution=iid, purpose="attachment", filename="a.pdf", data=pdf_bytes()
    )
    theirs = await upload(
        client,
        as_=PAEDAGOG,
        institution=iid,
        purpose="attachment",
        filename="b.pdf",
        data=pdf_bytes(),
    )
    mine_id, theirs_id = (
        decode(mine["id"], "File", field="f"),
        decode(theirs["id"], "File", field="f"),
    )

    async with runtime.sessions() as db:
        scope(db, institution_ids=[], user_id=None)
        async with db.begin():
            user = await db.scalar(select(User).where(User.email_key == METTE))
            actor = await load_actor(db=db, user=user, session=None)
        for wrong in ([theirs_id], [mine_id, theirs_id], [uuid.uuid4()]):
            with pytest.raises(files.NotFound):
                async with db.begin():
                    await files.claim(
                        db=db,
                        actor=actor,
                        file_ids=wrong,
                        institution_id=institution,
                        purpose="attachment",
                    )
        with pytest.raises(files.NotFound):
            async with db.begin():
                await files.claim(
                    db=db,
                    actor=actor,
                    file_ids=[mine_id],
                    institution_id=institution,
                    purpose="photo",
                )
        async with db.begin():
            taken = await files.claim(
                db=db,
                actor=actor,
                file_ids=[mine_id],
                institution_id=institution,
                purpose="attachment",
            )
        assert [f.id for f in taken] == [mine_id] and taken[0].claimed_at is not None
        with pytest.raises(files.NotFound):
            async with db.begin():
                await files.claim(
                    db=db,
                    actor=actor,
                    file_ids=[mine_id],
                    institution_id=institution,
                    purpose="attachment",
                )


async def test_unclaimed_uploads_are_swept_after_a_day_with_their_objects(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    made = await upload(
        client,
        as_=PAEDAGOG,
        institution=iid,
        purpose="photo",
        filename="a.jpg",
        data=jpeg_bytes(64, 48),
    )
    row = await stored_row(runtime, iid, made["id"])
    assert row is not None
    keys = files.keys_of([row])
    async with runtime.sessions() as db:
        scope(db, institution_ids=[row.institution_id], user_id=None)
        swept = await files.sweep_unclaimed(
            db=db, storage=runtime.storage, institution_id=row.institution_id, now=utcnow()
        )
        assert swept == 0
        swept = await files.sweep_unclaimed(
            db=db,
            storage=runtime.storage,
            institution_id=row.institution_id,
            now=utcnow() + timedelta(hours=25),
        )
        assert swept >= 1
    assert await stored_row(runtime, iid, made["id"]) is None
    for key in keys:
        with pytest.raises(ObjectNotFound):
            await runtime.storage.get(key)
