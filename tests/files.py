"""Uploads in tests: POST /uploads as the apps do, and images with the metadata phones add."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
from PIL import ExifTags, Image

from tests.client import GraphQLClient


async def upload_response(
    client: GraphQLClient,
    *,
    as_: str | None,
    institution: str,
    purpose: str,
    filename: str,
    data: bytes,
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {await client.token_for(as_)}"} if as_ else {}
    return await client.http.post(
        "/uploads",
        data={"institution": institution, "purpose": purpose},
        files={"file": (filename, data, content_type)},
        headers=headers,
    )


async def upload(
    client: GraphQLClient,
    *,
    as_: str,
    institution: str,
    purpose: str,
    filename: str,
    data: bytes,
) -> dict[str, Any]:
    """The uploaded file's JSON (its `id` is what mutations take); fails unless 201."""
    response = await upload_response(
        client, as_=as_, institution=institution, purpose=purpose, filename=filename, data=data
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def jpeg_bytes(width: int = 640, height: int = 480, *, gps: bool = True) -> bytes:
    """A JPEG as a phone writes it: EXIF with camera, GPS position, a rotation flag
    (6: turn 90° clockwise to view) and a comment."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Orientation] = 6
    if gps:
        position = exif.get_ifd(ExifTags.IFD.GPSInfo)
        position[ExifTags.GPS.GPSLatitudeRef] = "N"
        position[ExifTags.GPS.GPSLatitude] = (56.0, 9.0, 30.0)
        position[ExifTags.GPS.GPSLongitudeRef] = "E"
        position[ExifTags.GPS.GPSLongitude] = (10.0, 12.0, 3.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"Liva i sandkassen")
    return out.getvalue()


def png_bytes(width: int = 64, height: int = 64, *, alpha: bool = False) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", (width, height), (10, 200, 10, 128))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def heic_bytes(width: int = 120, height: int = 90) -> bytes:
    image = Image.new("RGB", (width, height), (30, 60, 200))
    out = io.BytesIO()
    image.save(out, format="HEIF")
    return out.getvalue()


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def bomb_png(side: int = 10_000) -> bytes:
    """A tiny file that claims side x side pixels (a decompression bomb)."""
    image = Image.new("1", (side, side))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
