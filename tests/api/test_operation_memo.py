"""The guards' per-document memo: the same document, operation and variables are answered
once; anything else that differs is computed again; it stays bounded."""

from __future__ import annotations

import gc

from graphql import parse

from app.api.operation_memo import ANSWERS_PER_DOCUMENT, LONGEST_VARIABLES_KEY, OperationMemo


def test_the_same_operation_and_variables_are_computed_once() -> None:
    memo, document, calls = OperationMemo(), parse("query Q($n: Int) { a(n: $n) }"), []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert memo.answer(document, "Q", {"n": 1}, compute) == 1
    assert memo.answer(document, "Q", {"n": 1}, compute) == 1
    assert memo.answer(document, "Q", {"n": 2}, compute) == 2  # other variables
    assert memo.answer(document, "Q", {"n": 1.0}, compute) == 3  # 1.0 is not 1 in JSON
    assert memo.answer(document, "R", {"n": 1}, compute) == 4  # other operation
    assert memo.answer(document, "Q", {"n": 1}, compute, "extra") == 5  # other extra key
    # Another document object, even of the same text, has answers of its own.
    assert memo.answer(parse("query Q($n: Int) { a(n: $n) }"), "Q", {"n": 1}, compute) == 6


def test_a_collected_document_takes_its_answers_with_it() -> None:
    memo, document = OperationMemo(), parse("{ a }")
    memo.answer(document, None, {}, lambda: 1)
    assert len(memo._answers) == 1
    del document
    gc.collect()
    assert memo._answers == {}


def test_large_or_unencodable_variables_are_walked_every_time() -> None:
    memo, document, calls = OperationMemo(), parse("{ a }"), []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    big = {"ids": ["x" * 100] * (LONGEST_VARIABLES_KEY // 100)}
    assert memo.answer(document, None, big, compute) == 1
    assert memo.answer(document, None, big, compute) == 2
    upload = {"file": object()}
    assert memo.answer(document, None, upload, compute) == 3
    assert memo.answer(document, None, upload, compute) == 4


def test_a_document_keeps_a_bounded_number_of_answers() -> None:
    memo, document = OperationMemo(), parse("{ a }")
    for n in range(ANSWERS_PER_DOCUMENT + 10):
        memo.answer(document, None, {"n": n}, lambda n=n: n)  # type: ignore[misc]
    assert len(memo._answers[id(document)][1]) == ANSWERS_PER_DOCUMENT
    # The oldest went first; the newest is answered without computing.
    assert memo.answer(document, None, {"n": 0}, lambda: -1) == -1
    assert memo.answer(document, None, {"n": ANSWERS_PER_DOCUMENT + 9}, lambda: -1) == (
        ANSWERS_PER_DOCUMENT + 9
    )
