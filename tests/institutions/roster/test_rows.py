"""Reading a roster file, without a database: dialects, encodings and typed cells."""

from __future__ import annotations

import io
from datetime import date

import pytest

from app.core.errors import ValidationFailed
from app.institutions.roster.service.rows import (
    parse_access,
    parse_date,
    parse_yes_no,
    read_roster,
)

TODAY = date(2026, 12, 4)


def _read(text: str, encoding: str = "utf-8") -> list[dict]:
    return read_roster(io.BytesIO(text.encode(encoding)), today=TODAY)


@pytest.mark.parametrize(
    "raw", ["2021-03-04", "04-03-2021", "04.03.2021", "04/03/2021", " 2021-03-04 "]
)
def test_dates_iso_or_danish(raw):
    assert parse_date(raw) == date(2021, 3, 4)


@pytest.mark.parametrize("raw", ["2021-02-30", "4 marts 2021", "03/04/21", ""])
def test_what_is_not_a_date(raw):
    with pytest.raises(ValidationFailed) as refused:
        parse_date(raw)
    assert refused.value.message_key == "roster_date_invalid"


def test_yes_no_and_access_in_danish_or_english():
    assert [parse_yes_no(v) for v in ("ja", "Nej", "yes", "no", "X", "0")] == [
        True,
        False,
        True,
        False,
        True,
        False,
    ]
    assert parse_access("", True) == "full" and parse_access("", False) == "none"
    assert parse_access("Fuld", False) == "full" and parse_access("info", True) == "information"
    with pytest.raises(ValidationFailed):
        parse_access("alt", True)


HEADER = "child_external_id;child_first_name;child_last_name;child_birth_date;group"


@pytest.mark.parametrize("bom", ["", "\ufeff"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiter_is_sniffed_and_bom_read_either_way(bom, delimiter):
    text = bom + f"{HEADER}\nK-1;Åse;Ærø;2022-01-02;Bjørnene\n\n".replace(";", delimiter)
    (row,) = _read(text)
    assert (row["external_id"], row["first_name"], row["last_name"]) == ("K-1", "Åse", "Ærø")
    assert row["birth_date"] == "2022-01-02" and row["errors"] == []


def test_header_is_case_insensitive_in_any_order_and_extra_columns_are_ignored():
    text = "Group;NOTE;Child_Birth_Date;child_last_name;child_first_name;child_external_id\n"
    text += "Myrerne;hej;02-01-2022;Berg;Ida;K-2\n"
    (row,) = _read(text)
    assert (row["group"], row["birth_date"], row["first_name"]) == ("Myrerne", "2022-01-02", "Ida")


def test_row_problems_name_their_columns_and_file_problems_refuse_the_file():
    text = f"{HEADER};guardian1_name;guardian1_email\n"
    text += ";Ida;Berg;2030-01-01;Bjørnene;Åse;\n"
    text += "K-1;Otto;Berg;2022-01-01;Bjørnene;;aase@example.dk\n"
    text += "K-1;Eva;Berg;2022-01-01;Bjørnene;;\n"
    rows = _read(text)
    assert [(e["column"], e["key"]) for e in rows[0]["errors"]] == [
        ("child_external_id", "required"),
        ("child_birth_date", "birth_date_future"),
        ("guardian1_email", "required"),
    ]
    assert [(e["column"], e["key"]) for e in rows[1]["errors"]] == [("guardian1_name", "required")]
    assert [(e["column"], e["key"]) for e in rows[2]["errors"]] == [
        ("child_external_id", "roster_external_id_twice")
    ]
    for text, key in (
        ("", "roster_empty"),
        (HEADER + "\n", "roster_empty"),
        ("child_external_id;group\nK-1;A\n", "roster_columns_missing"),
        (HEADER + "\nK-1;Søren;Ærø;2022-01-02;Bjørnene\n", "roster_not_utf8"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            _read(text, "latin-1" if "Søren" in text else "utf-8")
        assert refused.value.message_key == key
