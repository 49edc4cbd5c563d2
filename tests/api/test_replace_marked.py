"""replace_marked (app/api/compiled.py): the leaves a compiled answer leaves to Python."""

from __future__ import annotations

import pytest

from app.api.compiled import replace_marked

MARK = "\u0000sign"


async def test_marked_objects_are_replaced_in_order_in_place():
    seen: list[str] = []

    async def replace(value: str) -> str:
        seen.append(value)
        return value.upper()

    data = {
        "a": {MARK: "first"},
        "b": [{"c": {MARK: "second"}, "d": 1}, {MARK: "third"}, None, "x"],
        "e": {"f": {MARK: "fourth", "other": 2}},  # two keys: not a marked object
    }
    answer = await replace_marked(data, MARK, replace)
    assert answer == {
        "a": "FIRST",
        "b": [{"c": "SECOND", "d": 1}, "THIRD", None, "x"],
        "e": {"f": {MARK: "fourth", "other": 2}},
    }
    assert seen == ["first", "second", "third"]
    assert answer is data  # the answer just decoded for the request: changed, not copied


async def test_nothing_marked_is_the_answer_itself_and_no_call():
    async def replace(value: object) -> object:
        raise AssertionError("not called")

    data = {"a": [1, {"b": "c"}], "d": None}
    answer = await replace_marked(data, MARK, replace)
    assert answer is data and answer == {"a": [1, {"b": "c"}], "d": None}
    assert await replace_marked("leaf", MARK, replace) == "leaf"


async def test_the_answer_itself_marked_is_replaced():
    async def replace(value: str) -> str:
        return value.upper()

    assert await replace_marked({MARK: "all"}, MARK, replace) == "ALL"
    assert await replace_marked([{MARK: "one"}, [{MARK: "two"}]], MARK, replace) == [
        "ONE",
        ["TWO"],
    ]


async def test_a_marker_that_could_be_a_name_is_refused():
    async def replace(value: object) -> object:
        return value

    with pytest.raises(ValueError):
        await replace_marked({}, "url", replace)
