"""The roster as a file in the import's columns (app.institutions.roster.service.rows reads
them): CSV written 500 children at a time, and XLSX as one sheet of text cells."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
from openpyxl import Workbook

from app.institutions.roster.service.rows import COLUMNS, GUARDIAN_FIELDS, guardian_columns


def header(links: dict[Any, list[Any]]) -> list[str]:
    return [*COLUMNS[:6], *guardian_columns(_guardian_slots(links))]


def _guardian_slots(links: dict[Any, list[Any]]) -> int:
    return max([2] + [len(v) for v in links.values()])


def rows_of(children: list[Any], links: dict[Any, list[Any]]) -> Iterator[list[str]]:
    """One row of cells per child, in the import's columns."""
    slots = _guardian_slots(links)
    for child in children:
        cells = [
            child.external_id or "",
            child.first_name,
            child.last_name,
            child.birth_date.isoformat(),
            child.group_name or "",
            child.active_from.isoformat(),
        ]
        guardians = links.get(child.id, [])
        for n in range(slots):
            if n < len(guardians):
                g = guardians[n]
                cells += [
                    g.name,
                    g.email,
                    g.phone or "",
                    g.relation,
                    "ja" if g.has_custody else "nej",
                    g.access,
                ]
            else:
                cells += [""] * len(GUARDIAN_FIELDS)
        yield cells


def csv_lines(children: list[Any], links: dict[Any, list[Any]], delimiter: str) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    # The BOM tells Excel the file is UTF-8 (æ, ø, å); the import reads it either way.
    writer.writerow(header(links))
    out.seek(0)
    yield "\ufeff" + out.read()
    rows = rows_of(children, links)
    while True:
        out.seek(0)
        out.truncate()
        for _, cells in zip(range(500), rows, strict=False):
            writer.writerow(cells)
        chunk = out.getvalue()
        if not chunk:
            return
        yield chunk


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_CHUNK = 64 * 1024


async def xlsx_bytes(children: list[Any], links: dict[Any, list[Any]]) -> AsyncIterator[bytes]:
    """openpyxl's write-only workbook writes its rows as they come into a spooled file (in
    memory while small, on disk beyond), in a worker thread so that a big roster does not hold
    up the event loop; sent in chunks once the ZIP is closed. Every cell is text, as in the
    CSV: an id or a phone number keeps its leading zeros."""
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as file:

        def write() -> None:
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("Roster")
            sheet.append(header(links))
            for row in rows_of(children, links):
                sheet.append(row)
            workbook.save(file)

        await anyio.to_thread.run_sync(write)
        file.seek(0)
        while chunk := file.read(XLSX_CHUNK):
            yield chunk
