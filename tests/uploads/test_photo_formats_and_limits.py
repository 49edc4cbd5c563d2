"""Photos beyond JPEG and HEIC, and the photo limits: WebP and PNG photos are decoded and
re-encoded without their metadata; 20 MB and 40 megapixels are our limits, the latter
enforced by us and not by Pillow's much higher default."""

from __future__ import annotations

import io
import warnings

import pytest
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

from app.core.i18n import translate
from app.core.images import MAX_PIXELS
from app.core.runtime import Runtime
from tests.files import jpeg_bytes, upload, upload_response
from tests.helpers import SOLSIKKEN_ADMIN, institution_id
from tests.uploads.common import PAEDAGOG, stored_count, stored_row

MB = 1024 * 1024
# Pillow's own MAX_IMAGE_PIXELS before Seddel lowers it (about 89 megapixels).
PILLOW_DEFAULT_MAX_PIXELS = 1024 * 1024 * 1024 // 4 // 3
CAPTION = "Liva i sandkassen"


def _phone_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Google"
    exif[ExifTags.Base.ImageDescription] = CAPTION
    position = exif.get_ifd(ExifTags.IFD.GPSInfo)
    position[ExifTags.GPS.GPSLatitudeRef] = "N"
    position[ExifTags.GPS.GPSLatitude] = (55.0, 40.0, 12.0)
    return exif


def webp_bytes(width: int = 640, height: int = 480) -> bytes:
    """A WebP as an Android phone saves it: EXIF with camera and GPS position."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 160, 90)).save(
        out, format="WEBP", quality=80, exif=_phone_exif()
    )
    return out.getvalue()


def png_photo_bytes(width: int = 640, height: int = 480, *, alpha: bool = False) -> bytes:
    """A PNG with EXIF (GPS) and a text chunk, opaque or with transparency."""
    text = PngInfo()
    text.add_text("Comment", CAPTION)
    image = Image.new("RGBA" if alpha else "RGB", (width, height), (90, 40, 160, 128))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=text, exif=_phone_exif())
    return out.getvalue()


def one_colour_png(side: int) -> bytes:
    """A few kilobytes that claim side x side pixels: a decompression bomb."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize(
    ("filename", "data", "served_format", "served_name"),
    [
        ("IMG_0007.webp", webp_bytes(), "JPEG", "IMG_0007.jpg"),
        ("tegning.png", png_photo_bytes(), "JPEG", "tegning.jpg"),
        ("klistermaerke.png", png_photo_bytes(alpha=True), "PNG", "klistermaerke.png"),
    ],
)
async def test_webp_and_png_photos_are_accepted_and_re_encoded_without_metadata(
    client, runtime: Runtime, filename, data, served_format, served_name
):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    made = await upload(
        client, as_=PAEDAGOG, institution=iid, purpose="photo", filename=filename, data=data
    )
    assert made["contentType"] == f"image/{served_format.lower()}"
    assert made["filename"] == served_name
    assert (made["width"], made["height"]) == (640, 480)
    assert made["variants"] == ["full", "display", "thumbnail"]
    row = await stored_row(runtime, iid, made["id"])
    assert row is not None
    sizes = {}
    for name, meta in row.variants.items():
        stored = await runtime.storage.get(meta["key"])
        assert stored != data  # re-encoded, never the original bytes
        served = Image.open(io.BytesIO(stored))
        assert served.format == served_format
        exif = served.getexif()
        assert dict(exif) == {} and exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert not {"exif", "Comment", "comment"} & set(served.info)
        assert CAPTION.encode() not in stored
        sizes[name] = served.size
    assert sizes == {"full": (640, 480), "display": (640, 480), "thumbnail": (320, 240)}


async def test_a_photo_of_20_mb_is_accepted_and_one_byte_more_is_refused(client, runtime):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    # A real JPEG padded after its end marker: 20 MB exactly, cheap to make and to decode.
    photo = jpeg_bytes(64, 48)
    at_limit = photo + b"\x00" * (20 * MB - len(photo))
    made = await upload(
        client, as_=PAEDAGOG, institution=iid, purpose="photo", filename="big.jpg", data=at_limit
    )
    assert made["size"] < MB  # re-encoded: the padding is not kept
    before = await stored_count(runtime, iid)
    response = await upload_response(
        client,
        as_=PAEDAGOG,
        institution=iid,
        purpose="photo",
        filename="big.jpg",
        data=at_limit + b"\x00",
    )
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["code"] == "INVALID" and body["field"] == "file"
    assert body["detail"] == translate("file_too_large", "da", max_mb=20)
    assert await stored_count(runtime, iid) == before


async def test_a_49_megapixel_bomb_is_refused_by_our_cap_not_pillows(client, runtime, monkeypatch):
    iid = await institution_id(client, SOLSIKKEN_ADMIN)
    bomb = one_colour_png(7000)
    assert len(bomb) < 20_000
    assert MAX_PIXELS < 7000 * 7000 < PILLOW_DEFAULT_MAX_PIXELS
    # Pillow on its default would open it without a word (not even a warning) ...
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", PILLOW_DEFAULT_MAX_PIXELS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Image.open(io.BytesIO(bomb)).size == (7000, 7000)
    before = await stored_count(runtime, iid)
    # ... so the refusal comes from our own 40-megapixel check, with Pillow's guard at its
    # default as well as at ours (the second net).
    for pillow_limit in (PILLOW_DEFAULT_MAX_PIXELS, MAX_PIXELS):
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
        response = await upload_response(
            client, as_=PAEDAGOG, institution=iid, purpose="photo", filename="b.png", data=bomb
        )
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["code"] == "INVALID" and body["field"] == "file"
        assert body["detail"] == translate("image_too_many_pixels", "da", megapixels=40)
    assert await stored_count(runtime, iid) == before
