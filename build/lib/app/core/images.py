"""Untrusted images in, clean images out: decode, bound, orient, strip, re-encode, resize.

Only the formats asked for are opened (Pillow would otherwise try every plugin it has), the
pixel count is checked from the header before anything is decoded (Pillow's own default
lets a 600 KB PNG claim 800 MB), and what is written carries no metadata: a fresh info
dictionary means no EXIF, GPS, XMP or comments, whatever the source held."""

from __future__ import annotations

import struct
import warnings
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.errors import ValidationFailed

pillow_heif.register_heif_opener()

PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
ATTACHMENT_FORMATS = (*PHOTO_FORMATS, "GIF")
MAX_PIXELS = 40_000_000
# Pillow's global guard stays on as a second net, at our cap rather than its own.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


@dataclass(frozen=True)
class Rendition:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class CleanImage:
    source_format: str
    width: int
    height: int
    renditions: dict[str, Rendition]


def _open(data: bytes, formats: tuple[str, ...], max_pixels: int) -> Image.Image:
    try:
        image = Image.open(BytesIO(data), formats=list(formats))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except UnidentifiedImageError as exc:
        raise ValidationFailed("not_an_image", field="file") from exc
    except _DECODE_ERRORS as exc:
        raise ValidationFailed("not_an_image", field="file") from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ValidationFailed("not_an_image", field="file")
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    return image


def _too_many_pixels(max_pixels: int) -> ValidationFailed:
    return ValidationFailed(
        "image_too_many_pixels", field="file", megapixels=max_pixels // 1_000_000
    )


def _decoded(image: Image.Image) -> Image.Image:
    try:
        image.seek(0)  # an animation keeps its first frame
        image.load()
        return ImageOps.exif_transpose(image)
    except _DECODE_ERRORS as exc:
        raise ValidationFailed("not_an_image", field="file") from exc


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _encode(image: Image.Image, alpha: bool) -> Rendition:
    out = BytesIO()
    if alpha:
        image.save(out, format="PNG", optimize=True)
        content_type = "image/png"
    else:
        image.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
        content_type = "image/jpeg"
    return Rendition(out.getvalue(), content_type, image.width, image.height)


def clean_image(
    data: bytes,
    *,
    sizes: Mapping[str, int | None],
    formats: tuple[str, ...] = PHOTO_FORMATS,
    max_pixels: int = MAX_PIXELS,
) -> CleanImage:
    """Renditions named by `sizes` (longest side in pixels; None keeps the full size).
    Blocking and CPU-bound: call it in a worker thread. Raises ValidationFailed for
    anything that is not a sound image of the allowed formats within the pixel cap."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        opened = _open(data, formats, max_pixels)
        source_format = str(opened.format)
        image = _decoded(opened)
    alpha = _has_alpha(image)
    image = image.convert("RGBA" if alpha else "RGB")
    image.info = {}
    renditions: dict[str, Rendition] = {}
    for name, longest in sizes.items():
        sized = image
        if longest is not None and max(image.size) > longest:
            sized = image.copy()
            sized.thumbnail((longest, longest), Image.Resampling.LANCZOS)
        renditions[name] = _encode(sized, alpha)
    return CleanImage(source_format, image.width, image.height, renditions)
