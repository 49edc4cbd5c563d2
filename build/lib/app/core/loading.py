"""Helpers of the batch functions in every slice's loaders.py: (db, actor, keys) -> a list
aligned with keys, one entry (or one list) per key."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def aligned(rows: Sequence[T], keys: Sequence[Any], key_of: str = "id") -> list[T | None]:
    """One row (or None) per key, matched on the row's `key_of` attribute."""
    by_key = {getattr(row, key_of): row for row in rows}
    return [by_key.get(key) for key in keys]


def grouped(rows: Sequence[T], keys: Sequence[Any], key_of: str) -> list[list[T]]:
    """The rows of each key, matched on the row's `key_of` attribute."""
    by_key: dict[Any, list[T]] = defaultdict(list)
    for row in rows:
        by_key[getattr(row, key_of)].append(row)
    return [by_key.get(key, []) for key in keys]
