"""Reading a roster file: UTF-8 with or without BOM, comma or semicolon (sniffed), one child a
row with up to four guardians, every cell typed and checked. A file-wide problem (not UTF-8,
a required column missing, too many rows) raises; a row's problems are kept with the row,
each naming its column, so that the dry run can show them all at once.

The file is read once from its (spooled, on disk when large) upload, line by line: only the
cleaned rows stay in memory, never a second copy of the file."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any

from app.accounts.service.auth import email_key, validate_email
from app.accounts.service.phones import e164
from app.core.errors import DomainError, ValidationFailed
from app.core.values import allowed_text, clean_name
from app.institutions.models import ACCESS_LEVELS

CHILD_COLUMNS = (
    "child_external_id",
    "child_first_name",
    "child_last_name",
    "child_birth_date",
    "group",
    "start_date",
)
GUARDIAN_FIELDS = ("name", "email", "phone", "relation", "custody", "access")
MAX_GUARDIANS = 4
MAX_ROWS = 20_000
REQUIRED = CHILD_COLUMNS[:5]
SNIFF_BYTES = 64 * 1024
_GUARDIAN_COLUMN = re.compile(r"^guardian([1-9])_(\w+)$")

YES = {"ja", "j", "yes", "y", "true", "1", "x"}
NO = {"nej", "n", "no", "false", "0"}
ACCESS_ALIASES = {"fuld": "full", "ingen": "none", "info": "information"}


def guardian_columns(count: int) -> tuple[str, ...]:
    return tuple(f"guardian{n}_{f}" for n in range(1, count + 1) for f in GUARDIAN_FIELDS)


COLUMNS = CHILD_COLUMNS + guardian_columns(2)
"""The documented columns (a file may add guardian3_* and guardian4_*)."""


def parse_date(raw: str) -> date:
    """ISO (2021-03-04) or Danish (04-03-2021, 04.03.2021, 04/03/2021)."""
    text = raw.strip()
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValidationFailed("roster_date_invalid")


def parse_yes_no(raw: str) -> bool:
    text = raw.strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValidationFailed("roster_yes_no_invalid")


def parse_access(raw: str, has_custody: bool) -> str:
    text = raw.strip().lower()
    text = ACCESS_ALIASES.get(text, text)
    # Without custody the law gives a right to information, not to the system: none by default.
    chosen = text or ("full" if has_custody else "none")
    if chosen not in ACCESS_LEVELS:
        raise ValidationFailed("invalid_access")
    return chosen


def sha256_of(binary: IO[bytes]) -> str:
    """The file's SHA-256, read in chunks; the file is left at its start."""
    digest = hashlib.sha256()
    binary.seek(0)
    for chunk in iter(lambda: binary.read(1024 * 1024), b""):
        digest.update(chunk)
    binary.seek(0)
    return digest.hexdigest()


def _dialect(binary: IO[bytes]) -> type[csv.Dialect] | csv.Dialect:
    sample = codecs.getincrementaldecoder("utf-8-sig")(errors="ignore").decode(
        binary.read(SNIFF_BYTES)
    )
    binary.seek(0)
    if "\n" in sample:
        sample = sample.rsplit("\n", 1)[0]  # whole lines only
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        header = sample.split("\n", 1)[0]
        return _Semicolon if header.count(";") > header.count(",") else csv.excel


class _Semicolon(csv.excel):
    delimiter = ";"


def _header(raw: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(raw):
        key = name.strip().lower()
        if key and key not in columns:
            columns[key] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ValidationFailed("roster_columns_missing", field="file", columns=", ".join(missing))
    return columns


class _Row:
    """One row being checked: its cells by column name, and its problems."""

    def __init__(self, line: int, cells: dict[str, str]) -> None:
        self.line = line
        self.cells = cells
        self.errors: list[dict[str, str]] = []

    def cell(self, column: str) -> str:
        return self.cells.get(column, "")

    def check(self, column: str, check: Any, *args: Any) -> Any:
        """`check(cell, *args)`, or None with the problem kept under `column`."""
        try:
            value = self.cell(column)
            if not allowed_text(value):
                raise ValidationFailed("invalid_characters")
            return check(value, *args)
        except DomainError as error:
            self.errors.append({"column": column, "key": error.message_key, **_params(error)})
            return None


def _params(error: DomainError) -> dict[str, str]:
    return {k: str(v) for k, v in error.params.items()}


def _external_id(raw: str) -> str:
    return clean_name(raw, "", 100)


def _name(raw: str, max_length: int = 100) -> str:
    return clean_name(raw, "", max_length)


def _optional_date(raw: str) -> date | None:
    return parse_date(raw) if raw.strip() else None


def _birth_date(raw: str, today: date) -> date:
    born = parse_date(raw)
    if born > today:
        raise ValidationFailed("birth_date_future")
    return born


def _relation(raw: str) -> str:
    return raw.strip()[:50]


def _email(raw: str) -> str:
    if not raw.strip():
        raise ValidationFailed("required")
    return validate_email(raw)


def _custody(raw: str) -> bool:
    return parse_yes_no(raw) if raw.strip() else True


def _guardians(row: _Row, slots: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n in range(1, slots + 1):
        prefix = f"guardian{n}_"
        if not any(row.cell(prefix + f).strip() for f in GUARDIAN_FIELDS):
            continue
        name = row.check(prefix + "name", _name, 200)
        email = row.check(prefix + "email", _email)
        phone = row.check(prefix + "phone", e164)
        relation = row.check(prefix + "relation", _relation)
        custody = row.check(prefix + "custody", _custody)
        access = row.check(prefix + "access", parse_access, True if custody is None else custody)
        if email is not None:
            key = email_key(email)
            if key in seen:
                row.errors.append({"column": prefix + "email", "key": "roster_guardian_twice"})
            seen.add(key)
        found.append(
            {
                "slot": n,
                "name": name,
                "email": email,
                "email_key": email_key(email) if email else None,
                "phone": phone,
                "relation": relation,
                "custody": custody,
                "access": access,
            }
        )
    return found


def read_roster(binary: IO[bytes], *, today: date) -> list[dict[str, Any]]:
    """The file's rows, typed: each a dict of JSON values with its `line` and `errors`."""
    dialect = _dialect(binary)
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")  # type: ignore[type-var]
    try:
        return _read(csv.reader(text, dialect), today)
    except UnicodeDecodeError:
        raise ValidationFailed("roster_not_utf8", field="file") from None
    except csv.Error:
        raise ValidationFailed("roster_not_csv", field="file") from None
    finally:
        text.detach()  # the upload is its owner's to close


def _read(records: Iterator[list[str]], today: date) -> list[dict[str, Any]]:
    first = next(records, None)
    if first is None:
        raise ValidationFailed("roster_empty", field="file")
    columns = _header(first)
    slots = max([int(m.group(1)) for c in columns if (m := _GUARDIAN_COLUMN.match(c))] + [0])
    slots = min(slots, MAX_GUARDIANS)
    rows: list[dict[str, Any]] = []
    external_ids: set[str] = set()
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed("roster_too_many_rows", field="file", max=MAX_ROWS)
        row = _Row(number, {c: record[i] if i < len(record) else "" for c, i in columns.items()})
        external_id = row.check("child_external_id", _external_id)
        if external_id is not None:
            if external_id in external_ids:
                row.errors.append(
                    {"column": "child_external_id", "key": "roster_external_id_twice"}
                )
            external_ids.add(external_id)
        birth = row.check("child_birth_date", _birth_date, today)
        start = row.check("start_date", _optional_date)
        rows.append(
            {
                "line": number,
                "external_id": external_id,
                "first_name": row.check("child_first_name", _name),
                "last_name": row.check("child_last_name", _name),
                "birth_date": birth.isoformat() if birth else None,
                "group": row.check("group", _name),
                "start_date": start.isoformat() if start else None,
                "guardians": _guardians(row, slots),
                "errors": row.errors,
            }
        )
    if not rows:
        raise ValidationFailed("roster_empty", field="file")
    return rows
