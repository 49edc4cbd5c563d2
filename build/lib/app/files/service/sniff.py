"""What a file really is, judged by its bytes. The client's name and declared type are only
held against that verdict: a PDF named holiday.jpg is refused, not trusted either way."""

from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath, PureWindowsPath

from app.core.errors import ValidationFailed

IMAGE_EXTENSIONS = {
    "JPEG": {"jpg", "jpeg", "jfif"},
    "PNG": {"png"},
    "GIF": {"gif"},
    "WEBP": {"webp"},
    "HEIF": {"heic", "heif"},
}
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}
_OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
_ODF_TYPES = {"odt", "ods", "odp"}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"heif"}


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image | document
    image_format: str | None = None
    extension: str | None = None  # documents: the type's extension
    content_type: str | None = None


def clean_filename(raw: str) -> str:
    """The last path part, printable, at most 200 characters; never empty."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name
    name = "".join(c for c in unicodedata.normalize("NFC", name) if c.isprintable())
    name = name.strip().strip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or "file"


def extension_of(filename: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def _image_format(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def _zip_document(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = archive.namelist()
            if names and names[0] == "mimetype":
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return next((ext for ext in _ODF_TYPES if DOCUMENT_TYPES[ext] == declared), None)
            if "[Content_Types].xml" in names:
                return next(
                    (
                        ext
                        for ext, prefix in _OOXML_PARTS.items()
                        if any(n.startswith(prefix) for n in names)
                    ),
                    None,
                )
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    return None


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _document(data: bytes, extension: str) -> str | None:
    if data[:1024].find(b"%PDF-") != -1:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_document(data)
    if data.startswith(_OLE2):
        # Old Office files share one container; the name tells which program opens it.
        return extension if extension in ("doc", "xls", "ppt") else None
    if extension in ("txt", "csv") and _is_text(data):
        return extension
    return None


def sniff(data: bytes, filename: str, *, documents: bool) -> Sniffed:
    """The file's true type; refuses unknown types and names that disguise the content."""
    if not data:
        raise ValidationFailed("file_empty", field="file")
    extension = extension_of(filename)
    image_format = _image_format(data[:32])
    if image_format is not None:
        if extension and extension not in IMAGE_EXTENSIONS[image_format]:
            raise ValidationFailed("file_type_mismatch", field="file")
        return Sniffed(kind="image", image_format=image_format)
    if not documents:
        raise ValidationFailed("not_an_image", field="file")
    found = _document(data, extension)
    if found is None:
        raise ValidationFailed("unsupported_file_type", field="file")
    if extension and extension != found:
        raise ValidationFailed("file_type_mismatch", field="file")
    return Sniffed(kind="document", extension=found, content_type=DOCUMENT_TYPES[found])
