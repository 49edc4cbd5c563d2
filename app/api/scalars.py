"""What each scalar accepts, decided once for every field that uses it.

Strawberry's own parsers take whatever Python's ISO parsers take: a time with an offset
("14:00:00Z") that no rule of the day can compare with the institution's wall clock, a date in
year 1 that overflows the first `+ timedelta`, a datetime without an offset whose meaning
depends on the server's zone. Here each scalar says what it means and refuses the rest with a
top-level error coded `INVALID`, a specific `reason` and the `field` it sits in, before any
resolver runs: the same for a variable and a literal, for every field present and future.

- `Date`: a calendar day, exactly `YYYY-MM-DD`, years 1900-2999 (no datetime, no week or
  ordinal dates, no compact form). Reasons `INVALID_DATE`, `DATE_OUT_OF_RANGE`.
- `Time`: a wall-clock time of day in the institution's time zone, `HH:MM` or `HH:MM:SS`
  (00:00-23:59:59; no leap second, no 24:00, no fractions). An offset or `Z` is refused with
  `TIME_WITH_OFFSET` rather than converted: a time of day has no date, so an offset cannot
  be turned into Copenhagen's wall clock without guessing whether it is summer or winter.
  Anything else is `INVALID_TIME`. Written back as `HH:MM:SS`.
- `DateTime`: an instant, `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with an offset (`Z` or
  `±HH:MM`, at most 14 hours), years 1900-2999. Without an offset it is refused
  (`DATETIME_WITHOUT_OFFSET`): the same wall-clock time is two instants a year in Copenhagen.
  Fractions beyond microseconds are cut to microseconds. Anything else is `INVALID_DATETIME`.
  Written back in ISO 8601 with its offset.
- `ID`: any string. An ID that does not name something the caller may see is the mutation's
  `NotFoundError` (or `null` from `node`), never a parse error: not yours and does not exist
  look the same.

The schema has no `Decimal`, `UUID`, `JSON` or `Upload` scalar (files go up through
`POST /uploads`); one that is added gets its rule here and a property test in
`tests/api/test_scalars.py`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    ListValueNode,
    Node,
    ObjectValueNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    visit,
)
from graphql.language import ArgumentNode, Visitor
from graphql.utilities import type_from_ast
from strawberry.types.scalar import ScalarDefinition

from app.core.reasons import Reason, retryable

FIRST_YEAR, LAST_YEAR = 1900, 2999
MAX_OFFSET = dt.timedelta(hours=14)

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIME = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?", re.ASCII)
_TIME_WITH_OFFSET = re.compile(
    r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)", re.ASCII
)
_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?([Zz]|[+-]\d{2}:\d{2})?",
    re.ASCII,
)


class ScalarRefused(GraphQLError):
    """A scalar's value breaks its rule. graphql-core wraps it with the variable or literal at
    fault; app.api.errors.ErrorPolicy turns it into the caller's language with its `field`."""

    def __init__(self, scalar: str, value: str, reason: Reason, **params: Any) -> None:
        self.scalar = scalar
        self.value = value
        self.reason = reason
        self.message_key = reason.value.lower()
        self.params = params
        super().__init__(
            f"{scalar} cannot represent {value[:40]!r}: {reason.value}",  # ErrorPolicy words it
            extensions={"code": "INVALID", "reason": reason.value, "retryable": retryable(reason)},
        )


def _text(scalar: str, value: object) -> str:
    if not isinstance(value, str):
        raise ScalarRefused(scalar, repr(value), _INVALID[scalar])
    return value


def _year_in_range(scalar: str, raw: str, year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ScalarRefused(scalar, raw, Reason.DATE_OUT_OF_RANGE, first=FIRST_YEAR, last=LAST_YEAR)


def parse_date(value: object) -> dt.date:
    raw = _text("Date", value)
    match = _DATE.fullmatch(raw)
    if match is None:
        raise ScalarRefused("Date", raw, Reason.INVALID_DATE)
    _year_in_range("Date", raw, int(match[1]))
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ScalarRefused("Date", raw, Reason.INVALID_DATE) from None


def parse_time(value: object) -> dt.time:
    raw = _text("Time", value)
    match = _TIME.fullmatch(raw)
    if match is None:
        if _TIME_WITH_OFFSET.fullmatch(raw.strip()):
            raise ScalarRefused("Time", raw, Reason.TIME_WITH_OFFSET)
        raise ScalarRefused("Time", raw, Reason.INVALID_TIME)
    try:
        return dt.time(int(match[1]), int(match[2]), int(match[3] or 0))
    except ValueError:
        raise ScalarRefused("Time", raw, Reason.INVALID_TIME) from None


def parse_datetime(value: object) -> dt.datetime:
    raw = _text("DateTime", value)
    match = _DATETIME.fullmatch(raw)
    if match is None:
        raise ScalarRefused("DateTime", raw, Reason.INVALID_DATETIME)
    day, clock, fraction, offset = match.groups()
    if offset is None:
        raise ScalarRefused("DateTime", raw, Reason.DATETIME_WITHOUT_OFFSET)
    _year_in_range("DateTime", raw, int(day[:4]))
    text = f"{day}T{clock}"
    if fraction:
        text += "." + fraction[:6].ljust(6, "0")
    text += "+00:00" if offset in ("Z", "z") else offset
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ScalarRefused("DateTime", raw, Reason.INVALID_DATETIME) from None
    utc_offset = parsed.utcoffset()
    if utc_offset is None or abs(utc_offset) > MAX_OFFSET:
        raise ScalarRefused("DateTime", raw, Reason.INVALID_DATETIME)
    return parsed


_INVALID = {
    "Date": Reason.INVALID_DATE,
    "Time": Reason.INVALID_TIME,
    "DateTime": Reason.INVALID_DATETIME,
}


def _isoformat(value: Any) -> str:
    return str(value.isoformat())


def _serialize_time(value: dt.time) -> str:
    return value.replace(microsecond=0, tzinfo=None).isoformat()


def _definition(
    name: str,
    origin: type,
    description: str,
    parse: Callable[[object], object],
    serialize: Callable[[Any], str] = _isoformat,
) -> ScalarDefinition:
    return ScalarDefinition(
        name=name,
        description=description,
        specified_by_url=None,
        serialize=serialize,
        parse_value=parse,
        parse_literal=None,  # graphql-core reads the literal and calls parse_value
        origin=origin,
    )


SCALARS: Mapping[object, ScalarDefinition] = {
    dt.date: _definition(
        "Date", dt.date, "A calendar day: YYYY-MM-DD, years 1900-2999.", parse_date
    ),
    dt.time: _definition(
        "Time",
        dt.time,
        "A wall-clock time of day in the institution's time zone: HH:MM or HH:MM:SS, no offset.",
        parse_time,
        _serialize_time,
    ),
    dt.datetime: _definition(
        "DateTime",
        dt.datetime,
        "An instant: YYYY-MM-DDTHH:MM[:SS[.fraction]] with an offset (Z or ±HH:MM).",
        parse_datetime,
    ),
}
"""Passed as StrawberryConfig(scalar_map=...): the one definition of each scalar."""


def refused_field(
    error: GraphQLError,
    refused: ScalarRefused,
    schema: GraphQLSchema,
    document: DocumentNode | None,
    variables: Mapping[str, Any] | None,
) -> str | None:
    """Where the refused value sits, named as app/api/inputs.py and the services name fields:
    the argument, then the input fields and list indices inside it (`pickup`, `days.0`), for a
    variable's value as for a literal in the document."""
    if document is None:
        return None
    node: Node | None = error.nodes[0] if error.nodes else None
    if isinstance(node, VariableDefinitionNode):
        name = node.variable.name.value
        inner: list[str] = []
        variable_type = type_from_ast(schema, node.type)
        if variable_type is not None:
            inner = next(_scalar_paths((variables or {}).get(name), variable_type, []), [])
        used = _argument_path(
            document, lambda value: isinstance(value, VariableNode) and value.name.value == name
        )
        return _field_name([*(used or [name]), *inner])
    if node is None:  # validation reports a literal's refusal as it is, without its node
        node = _refused_literal(schema, document, refused)
    if node is None:
        return None
    target = node
    path = _argument_path(document, lambda value: value is target)
    return _field_name(path) if path is not None else None


def _refused_literal(
    schema: GraphQLSchema, document: DocumentNode, refused: ScalarRefused
) -> Node | None:
    """The first string literal in a place typed as the refused scalar, with its value."""
    type_info = TypeInfo(schema)

    class Finder(Visitor):
        found: Node | None = None

        def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
            input_type = type_info.get_input_type()
            named = get_named_type(input_type) if input_type is not None else None
            if named is not None and named.name == refused.scalar and node.value == refused.value:
                self.found = node
                return self.BREAK
            return None

    finder = Finder()
    visit(document, TypeInfoVisitor(type_info, finder))
    return finder.found


def _scalar_paths(value: Any, type_: Any, path: list[str]) -> Iterator[list[str]]:
    """Paths in a variable's value to the places where a scalar of ours refuses its value."""
    if isinstance(type_, GraphQLNonNull):
        yield from _scalar_paths(value, type_.of_type, path)
    elif isinstance(type_, GraphQLList):
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            yield from _scalar_paths(item, type_.of_type, [*path, str(index)])
    elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, Mapping):
        for key, item in value.items():
            field = type_.fields.get(key)
            if field is not None:
                yield from _scalar_paths(item, field.type, [*path, key])
    elif isinstance(type_, GraphQLScalarType) and type_.name in _INVALID and value is not None:
        try:
            type_.parse_value(value)
        except ScalarRefused:
            yield path


def _argument_path(document: DocumentNode, wanted: Callable[[Node], bool]) -> list[str] | None:
    """The path (argument, input fields, list indices) to the first value node `wanted`."""

    class Finder(Visitor):
        found: list[str] | None = None

        def enter_argument(self, node: ArgumentNode, *_: Any) -> Any:
            path = _node_path(node.value, wanted, [node.name.value])
            if path is not None:
                self.found = path
                return self.BREAK
            return None

    finder = Finder()
    visit(document, finder)
    return finder.found


def _node_path(node: Node, wanted: Callable[[Node], bool], path: list[str]) -> list[str] | None:
    if wanted(node):
        return path
    if isinstance(node, ObjectValueNode):
        for field in node.fields:
            found = _node_path(field.value, wanted, [*path, field.name.value])
            if found is not None:
                return found
    elif isinstance(node, ListValueNode):
        for index, item in enumerate(node.values):
            found = _node_path(item, wanted, [*path, str(index)])
            if found is not None:
                return found
    return None


def _field_name(path: list[str]) -> str:
    """The services' convention (app/api/inputs.py): the `input` argument is left out."""
    if len(path) > 1 and path[0] == "input":
        path = path[1:]
    return ".".join(path)
