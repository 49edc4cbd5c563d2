"""replace_marked (app/api/compiled.py): the leaves a compiled answer leaves to Python."""

from __future__ import annotations

import pytest

from app.api.compiled import replace_marked

MARK = "\u0000sign"


async def test_marked_objects_are_replaced_in_order_and_containers_are_new():
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
    assert answer is not data and answer["b"] is not data["b"] and answer["e"] is not data["e"]
    assert data["a"] == {MARK: "first"}  # the decoded answer itself is left as it was


async def test_nothing_marked_gives_an_equal_copy_and_no_call():
    async def replace(value: object) -> object:
        raise AssertionError("not called")

    data = {"a": [1, {"b": "c"}], "d": None}
    answer = await replace_marked(data, MARK, replace)
    assert answer == data and answer is not data and answer["a"] is not data["a"]
    assert await replace_marked("leaf", MARK, replace) == "leaf"


async def test_a_marker_that_could_be_a_name_is_refused():
    async def replace(value: object) -> object:
        return value

    with pytest.raises(ValueError):
        await replace_marked({}, "url", replace)
