"""Read models of files: what a signed link and an image's size need of a stored file, as a
light row for the hot reads that show photos."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.files.models import StoredFile

FILE_COLUMNS = (
    StoredFile.id,
    StoredFile.filename,
    StoredFile.width,
    StoredFile.height,
    StoredFile.variants,
)


@dataclass(frozen=True, slots=True)
class FileRow:
    id: uuid.UUID
    filename: str
    width: int | None
    height: int | None
    variants: dict[str, Any]
