"""Constants written into a compiled trusted document's statement (app/api/compiled.py) rather
than bound on every request.

A compiled statement is built once per shape of request and reused (`_Built`); what its
builders gave as Python values (a date format, a separator, a translated label, a page size)
is the same for every request of that shape, yet SQLAlchemy binds each as a parameter that
every request processes, encodes and sends again (~90 for the inbox). Written into the text
as PostgreSQL literals, cast as their parameters were, they cost nothing per request, and the
generic plan PostgreSQL keeps for the prepared statement sees them as its custom plans do (a
LIMIT, a CASE on a constant)."""

from __future__ import annotations

from typing import Any
from typing import cast as cast_type

from sqlalchemy import bindparam, literal_column
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.expression import Select
from sqlalchemy.sql.visitors import ExternallyTraversible, replacement_traverse

_POSTGRESQL = PGDialect_asyncpg()
_BIND_CASTS: dict[str, str] = {}


def inline_constants(statement: Select[Any]) -> Select[Any]:
    """`statement` with its constants written in: anonymous parameters whose value is a str,
    an int, a bool or None. The actor's parameters (app.core.shapes) are named and carry no
    value; a cursor's values are UUIDs and datetimes: they stay bound. A str with a backslash
    or a NUL stays bound too, so that doubling the quotes is the whole quoting whatever
    `standard_conforming_strings` says. A value taken from the variables (a page size) spells
    a statement of its own per value: use it where such values come from a small set."""
    no_options: dict[str, Any] = {}
    return cast_type(Select[Any], replacement_traverse(statement, no_options, _inlined))


def _inlined(element: ExternallyTraversible, **_: Any) -> ExternallyTraversible | None:
    if not isinstance(element, BindParameter) or not _constant(element):
        return None
    value = element.value
    if value is None:
        text = "NULL"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value) if value >= 0 else f"({value})"
    else:
        text = "'" + value.replace("'", "''") + "'"
    return literal_column(text + _bind_cast(element.type), element.type)


def _constant(bind: BindParameter[Any]) -> bool:
    if not bind.unique or bind.required or bind.expanding or bind.callable is not None:
        return False
    value = bind.value
    if isinstance(value, str):
        return "\\" not in value and "\x00" not in value
    return value is None or isinstance(value, bool | int)


def _bind_cast(type_: Any) -> str:
    """The cast SQLAlchemy's asyncpg dialect writes after a parameter of this type ("::VARCHAR";
    none for a type it does not cast), so that a literal means what the parameter meant."""
    key = repr(type_)
    cast_text = _BIND_CASTS.get(key)
    if cast_text is None:
        rendered = str(bindparam("constant", type_=type_).compile(dialect=_POSTGRESQL))
        cast_text = _BIND_CASTS[key] = rendered.removeprefix("$1")
    return cast_text
