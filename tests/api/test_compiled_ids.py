"""`global_ids` (app/api/compiled.py) finds every ID of one type in a compiled answer, which a
form's `record` notes in the access log: exactly those, whatever other types' IDs surround
them, including a type whose name begins with the same letters."""

from __future__ import annotations

import base64
import uuid

import pytest

from app.api.compiled import global_ids


def _id(type_name: str, value: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


def test_only_the_asked_types_ids_are_found() -> None:
    a, b, c, d, e = (uuid.uuid4() for _ in range(5))
    answer = {
        "inbox": {
            "nodes": [
                {
                    "id": _id("Thread", a),
                    "lastMessage": {"id": _id("Message", b)},
                    "children": [{"id": _id("Child", c)}],
                },
                {"id": _id("ThreadState", d)},
                {"id": _id("Thread", e), "note": {"id": "not an ID"}},
            ]
        }
    }
    assert global_ids(answer, "Thread") == {a, e}
    assert global_ids(answer, "ThreadState") == {d}
    assert global_ids(answer, "Message") == {b}
    assert global_ids(answer, "Child") == {c}


@pytest.mark.parametrize("type_name", ["A", "Ab", "Abc", "Group", "Presence", "Institution"])
def test_a_type_of_any_length_is_found(type_name: str) -> None:
    value = uuid.uuid4()
    assert global_ids([{"id": _id(type_name, value)}], type_name) == {value}
    assert global_ids([{"id": _id(type_name + "x", value)}], type_name) == set()
