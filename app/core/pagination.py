"""Keyset pagination: lists that grow are paged by their sort key, never by offset."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import ValidationFailed

T = TypeVar("T")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, date) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, columns: list[InstrumentedAttribute[Any]]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(columns):
            raise ValueError(cursor)
        return [_parse(value, column) for value, column in zip(raw, columns, strict=True)]
    except (ValueError, TypeError) as exc:
        raise ValidationFailed("invalid_cursor", field="after") from exc


def _parse(value: str, column: InstrumentedAttribute[Any]) -> Any:
    python_type = column.type.python_type
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is bool:
        return value == "True"
    return python_type(value)


def _after(
    columns: list[InstrumentedAttribute[Any]], values: list[Any], *, descending: bool = False
) -> Any:
    """(a, b, c) > (x, y, z) (or <, newest first), spelled out so that it works on SQLite too."""
    clauses = []
    for i, column in enumerate(columns):
        equal_prefix = [columns[j] == values[j] for j in range(i)]
        beyond = column < values[i] if descending else column > values[i]
        clauses.append(and_(*equal_prefix, beyond))
    return or_(*clauses)


def check_page_size(first: int | None) -> int:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0 or size > MAX_PAGE_SIZE:
        raise ValidationFailed("invalid_page_size", field="first", max=MAX_PAGE_SIZE)
    return size


def _keyset(
    statement: Select[Any],
    order_by: list[InstrumentedAttribute[Any]],
    after: str | None,
    descending: bool,
    size: int,
) -> Select[Any]:
    if after:
        statement = statement.where(
            _after(order_by, _decode(after, order_by), descending=descending)
        )
    ordering = [c.desc() for c in order_by] if descending else order_by
    return statement.order_by(*ordering).limit(size + 1)


def _page(
    rows: list[Any], order_by: list[InstrumentedAttribute[Any]], size: int, after: Any
) -> Page[Any]:
    items = rows[:size]
    cursors = [_encode([getattr(item, c.key) for c in order_by]) for item in items]
    return Page(
        items=items, cursors=cursors, has_next_page=len(rows) > size, has_previous_page=bool(after)
    )


async def paginate(
    db: AsyncSession,
    statement: Select[Any],
    *,
    order_by: list[InstrumentedAttribute[Any]],
    first: int | None,
    after: str | None,
    descending: bool = False,
) -> Page[Any]:
    """One page of `statement` (selecting one entity), ordered by unique `order_by` columns
    (all descending with `descending`, e.g. newest first)."""
    size = check_page_size(first)
    statement = _keyset(statement, order_by, after, descending, size)
    return _page(list((await db.scalars(statement)).all()), order_by, size, after)


def keyset_page(
    statement: Select[Any],
    *,
    order_by: list[InstrumentedAttribute[Any]],
    first: int | None,
    after: str | None,
    descending: bool = False,
) -> tuple[Select[Any], int]:
    """`statement` limited to one page and the row after it (whether there is a next page),
    with the page's size: what `paginate_rows` runs, for a caller that builds its answer in SQL
    (a compiled trusted document). Refuses a bad size or cursor as `paginate_rows` does."""
    size = check_page_size(first)
    return _keyset(statement, order_by, after, descending, size), size


async def paginate_rows(
    db: AsyncSession,
    statement: Select[Any],
    *,
    order_by: list[InstrumentedAttribute[Any]],
    first: int | None,
    after: str | None,
    descending: bool = False,
) -> Page[Any]:
    """`paginate` for a select of columns (a read model): the page holds its rows, which
    carry the `order_by` columns under their own names."""
    statement, size = keyset_page(
        statement, order_by=order_by, first=first, after=after, descending=descending
    )
    return _page(list((await db.execute(statement)).all()), order_by, size, after)
