"""Compiled trusted documents: a hot document answered by ONE SQL statement that builds its JSON
in PostgreSQL (json_build_object / json_agg), as PostGraphile does, from the same visibility
scopes and read-model selects the resolvers use.

No library compiles graphql-core documents to SQLAlchemy, so this is our own (the house rules
allow it for exactly this). The plumbing here knows no slice: each slice's api offers its
compiled documents (`CompiledDocument`), root registers them (`CompiledDocuments`), and
`CompiledDocumentsExtension` runs one only when everything below holds; otherwise, and on any
error, the request takes the normal execution, so every refusal and error is the resolvers':

- the database is PostgreSQL and compiled documents are on (`SEDDEL_COMPILED_DOCUMENTS`);
- the request is a trusted document, named or hashed any way a client sends one, that has a
  compiled form, and the selections it makes are ones the form knows (the Apollo form's
  ``__typename`` fields and any aliases are answered in place);
- its variables have the shapes the form supports (`CompiledDocument.accepts`);
- the actor is signed in (the sign-in is the request's first statement, as on the normal path).

The guards before execution (trusted documents, cost, the text input rule) have run: the
extension is listed after them. Over HTTP, a document the pipeline has answered compiled once
skips the pipeline afterwards, after the same checks of its variables (app/api/direct.py).
The answer is decoded from PostgreSQL's JSON and becomes the operation's result, so
extensions (cost), metrics and the encoder see it as any other; the request's transaction
ends as always (ROLLBACK; COMMIT only for the sign-in's last-use touch).
A differential test (tests/api/test_compiled.py) holds it byte-equal to the resolvers.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from typing import cast as cast_type

import msgspec
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    value_from_ast_untyped,
)
from prometheus_client import Counter
from sqlalchemy import ColumnElement, Text, Uuid, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.expression import Select
from strawberry.extensions import SchemaExtension

from app.api.ids import try_decode
from app.api.trusted import TrustedDocuments, _requested_hash
from app.core.actor import Actor
from app.core.shapes import ShapedActor, shape_of, variable
from app.db import key_hashed_once

log = logging.getLogger("seddel.graphql.compiled")

COMPILED = Counter(
    "seddel_graphql_compiled_total",
    "Trusted documents answered by their compiled statement, or fallen back on an error",
    ["operation", "path"],
)

BUILT = Counter(
    "seddel_graphql_compiled_statements_total",
    "Compiled statements built for a shape of request, reused, or built per request",
    ["operation", "how"],
)

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


class NotCompilable(Exception):
    """The request asks for something its compiled form does not know: execute normally."""


class Selection:
    """One field of the document, as the compiled form of its parent sees it."""

    def __init__(self, key: str, node: FieldNode, compiler: Compiler) -> None:
        self.key = key
        self.node = node
        self.compiler = compiler

    def arguments(self) -> dict[str, Any]:
        """The field's arguments, from literals and the request's variables (with defaults)."""
        values = {}
        for argument in self.node.arguments or ():
            value = value_from_ast_untyped(argument.value, self.compiler.variables)
            if value is Undefined:
                continue  # an absent variable without default: the argument is not given
            values[argument.name.value] = value
        return values

    def object(self, type_name: str, fields: Fields) -> ColumnElement[Any]:
        """The JSON object of this field's sub-selection."""
        return self.compiler.object(self.node.selection_set, type_name, fields)

    def pairs(self, type_name: str, fields: Fields) -> list[tuple[str, ColumnElement[Any]]]:
        return self.compiler.pairs(self.node.selection_set, type_name, fields)


FieldSql = Callable[[Selection], Any]  # a column expression
Fields = Mapping[str, FieldSql]


def takes_arguments(field: FieldSql) -> FieldSql:
    """Marks a field's SQL as reading the field's arguments; other fields with arguments are
    not compiled."""
    field.takes_arguments = True  # type: ignore[attr-defined]
    return field


class Compiler:
    """Walks an operation's selections (fragments expanded, in the order execution answers
    them) and builds the JSON of each object from the fields' SQL."""

    def __init__(self, document: DocumentNode, variables: Mapping[str, Any]) -> None:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1:
            raise NotCompilable("one operation per document")
        self.operation = operations[0]
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = dict(variables)
        for definition in self.operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and definition.default_value is not None:
                self.variables[name] = value_from_ast_untyped(definition.default_value)

    def root(self, type_name: str, fields: Fields) -> ColumnElement[Any]:
        return self.object(self.operation.selection_set, type_name, fields)

    def object(
        self, selection_set: SelectionSetNode | None, type_name: str, fields: Fields
    ) -> ColumnElement[Any]:
        return json_object(self.pairs(selection_set, type_name, fields))

    def pairs(
        self, selection_set: SelectionSetNode | None, type_name: str, fields: Fields
    ) -> list[tuple[str, ColumnElement[Any]]]:
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        seen: dict[str, FieldNode] = {}
        for node in self._collect(selection_set, type_name, set()):
            key = node.alias.value if node.alias else node.name.value
            if key in seen:
                # Execution merges a repeated key; the same leaf again adds nothing.
                if node.selection_set or seen[key].selection_set or not _same_leaf(node, seen[key]):
                    raise NotCompilable(f"{key} selected twice")
                continue
            seen[key] = node
            pairs.append((key, self._field(key, node, type_name, fields)))
        return pairs

    def _field(
        self, key: str, node: FieldNode, type_name: str, fields: Fields
    ) -> ColumnElement[Any]:
        name = node.name.value
        if name == "__typename":
            return text_literal(type_name)
        sql = fields.get(name)
        if sql is None:
            raise NotCompilable(f"{type_name}.{name}")
        if node.arguments and not getattr(sql, "takes_arguments", False):
            raise NotCompilable(f"{type_name}.{name} with arguments")
        return sql(Selection(key, node, self))

    def _collect(
        self, selection_set: SelectionSetNode | None, type_name: str, spread: set[str]
    ) -> Iterable[FieldNode]:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if selection.directives:
                raise NotCompilable("directives")  # @skip/@include: left to execution
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or condition.name.value == type_name:
                    yield from self._collect(selection.selection_set, type_name, spread)
                elif condition.name.value not in ("Node", "Query"):
                    continue  # another concrete type: not this object
                else:
                    raise NotCompilable("fragment on an abstract type")
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or fragment.type_condition.name.value != type_name:
                    raise NotCompilable(f"fragment {name}")
                if name not in spread:
                    spread.add(name)
                    yield from self._collect(fragment.selection_set, type_name, spread)


def _same_leaf(a: FieldNode, b: FieldNode) -> bool:
    return a.name.value == b.name.value and not a.arguments and not b.arguments


# SQL spelling of what the resolvers' Python prints -------------------------------------------


def text_literal(value: str) -> ColumnElement[str]:
    """A constant of the server's own vocabulary (a key, a type name), inlined."""
    if not _NAME.fullmatch(value):
        raise NotCompilable(f"not a GraphQL name: {value!r}")
    return literal_column(f"'{value}'", Text)


def json_object(pairs: Iterable[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    arguments: list[ColumnElement[Any]] = []
    for key, value in pairs:
        arguments += [text_literal(key), value]
    return func.json_build_object(*arguments)


def json_list(item: ColumnElement[Any], *order_by: Any) -> ColumnElement[Any]:
    """json_agg of `item` in `order_by`, an empty list (not null) when there is none."""
    aggregated = func.json_agg(aggregate_order_by(item, *order_by) if order_by else item)
    return func.coalesce(aggregated, literal_column("'[]'::json"))


# A value only the resolvers can give (a signed download link): where the answer holds it, the
# request is executed normally. PostgreSQL text never holds NUL, so no data can spell it.
RESOLVERS_ONLY = '"\\u0000"'  # a JSON string of one NUL, quotes included: data never has it


def resolvers_only() -> ColumnElement[Any]:
    return literal_column(f"'{RESOLVERS_ONLY}'::json")


async def replace_marked(data: Any, marker: str, replace: Callable[[Any], Awaitable[Any]]) -> Any:
    """`data` with every object `{marker: value}` replaced by `await replace(value)`: the few
    leaves a compiled statement leaves to Python (a signed link). `marker` must be no GraphQL
    name, so that no field or alias of the answer can spell it. `data` is the answer just
    decoded for this request: it is changed in place (nothing else holds it), not copied;
    `replace` is awaited once per marked object, in the answer's order."""
    if _NAME.fullmatch(marker):
        raise ValueError(f"{marker!r} could be a field's name")
    # Walked without awaiting (a coroutine per node cost more than the walk), then the few
    # replacements awaited in order and written where they were found.
    marked: list[tuple[Any, Any, Any]] = []  # (container, key or index, marked value)

    def find(value: Any) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(item, dict):
                if len(item) == 1 and marker in item:
                    marked.append((value, key, item[marker]))
                else:
                    find(item)
            elif isinstance(item, list):
                find(item)

    if isinstance(data, dict) and len(data) == 1 and marker in data:
        return await replace(data[marker])
    if isinstance(data, dict | list):
        find(data)
    for container, key, value in marked:
        container[key] = await replace(value)
    return data


def iso_datetime(value: ColumnElement[Any]) -> ColumnElement[str]:
    """A timestamptz as Python's `datetime.isoformat()` of it in UTC (what the DateTime scalar
    answers): microseconds only when there are any, all six digits, offset `+00:00`."""
    # Few nodes, no operators: this is built per row field and request.
    printed = func.to_char(func.timezone(_UTC, value), _ISO_FORMAT, type_=Text)
    return func.replace(printed, _NO_MICROSECONDS, _PLUS, type_=Text)


def sql_constant(value: str) -> ColumnElement[str]:
    """A constant string of the statement's own (a format, an encoding's name), written into
    the SQL instead of sent as a bind parameter: a reused statement then has a few dozen fewer
    parameters for SQLAlchemy to gather and asyncpg to send on every execution."""
    if "\\" in value:
        raise ValueError(f"not a plain constant: {value!r}")
    if "\n" in value:  # only an escape string spells a newline
        return literal_column("E'" + value.replace("'", "''").replace("\n", "\\n") + "'", Text)
    return literal_column("'" + value.replace("'", "''") + "'", Text)


_ISO_FORMAT = sql_constant('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
_UTC = sql_constant("UTC")
_NO_MICROSECONDS = sql_constant(".000000+")
_PLUS = sql_constant("+")
_UTF8 = sql_constant("UTF8")
_BASE64 = sql_constant("base64")
_NEWLINE = sql_constant("\n")
_NOTHING = sql_constant("")
_URL_UNSAFE = sql_constant("+/\n")
_URL_SAFE = sql_constant("-_")
_PADDING = sql_constant("=")
BASE64_LINE = 76  # PostgreSQL's encode(…, 'base64') breaks lines after this many characters


def base64_text(value: ColumnElement[str], *, longest: int | None = None) -> ColumnElement[str]:
    """Standard base64 of the UTF-8 of `value`, on one line (`longest`: the most bytes it can
    have, when known to fit on PostgreSQL's one line)."""
    encoded = func.encode(func.convert_to(value, _UTF8), _BASE64, type_=Text)
    if longest is not None and (longest + 2) // 3 * 4 <= BASE64_LINE:
        return encoded
    return func.replace(encoded, _NEWLINE, _NOTHING, type_=Text)


def global_id(type_name: str, value: Any) -> ColumnElement[str]:
    """A Relay global ID as strawberry writes it: base64 of "Type:uuid"."""
    if not _NAME.fullmatch(type_name):
        raise NotCompilable(type_name)
    text = func.concat(literal_column(f"'{type_name}:'", Text), value, type_=Text)
    return base64_text(text, longest=len(type_name) + 1 + 36)


def keyset_cursor(*values: ColumnElement[str]) -> ColumnElement[str]:
    """app.core.pagination's cursor of a row: URL-safe base64, unpadded, of the JSON list of
    its sort values as strings (`json.dumps` spacing); the values given as text already."""
    parts: list[Any] = [literal_column("'[\"'", Text)]
    for position, value in enumerate(values):
        if position:
            parts.append(literal_column("'\", \"'", Text))
        parts.append(value)
    parts.append(literal_column("'\"]'", Text))
    inner = func.concat(*parts, type_=Text)
    encoded = func.encode(func.convert_to(inner, _UTF8), _BASE64, type_=Text)
    return func.rtrim(
        func.translate(encoded, _URL_UNSAFE, _URL_SAFE, type_=Text), _PADDING, type_=Text
    )


def connection(
    selection: Selection,
    *,
    type_name: str,
    paged: Select[Any],
    size: int,
    after: str | None,
    order: Callable[[Any], list[Any]],
    cursor: Callable[[Any], ColumnElement[str]],
    node_fields: Callable[[Any], Fields],
    on_page: Callable[[Select[Any]], None] | None = None,
) -> ColumnElement[Any]:
    """A Relay connection (app.api.pagination) of a keyset page (`paged`: the page and the row
    after it, app.core.pagination.keyset_page), `order` its order over the page's columns.
    `on_page` is given a select of the page's rows (not the row after it), for a statement
    that writes what it read (its access log)."""
    page = paged.subquery(f"{type_name.lower()}_page")
    position = func.row_number().over(order_by=order(page.c))
    rows = select(page, position.label("position")).cte(f"{type_name.lower()}_rows")
    c = rows.c
    if on_page is not None:
        on_page(select(rows).where(c.position <= size))
    count = select(func.count()).select_from(rows).scalar_subquery()

    def cursor_at(where: Any) -> ColumnElement[Any]:
        return select(cursor(c)).where(c.position == where).scalar_subquery()

    edge: Fields = {
        "cursor": lambda _: cursor(c),
        "node": lambda inner: inner.object(type_name, node_fields(c)),
    }
    page_info: Fields = {
        "hasNextPage": lambda _: count > size,
        "hasPreviousPage": lambda _: literal_column("true" if after else "false"),
        "startCursor": lambda _: cursor_at(1) if size else literal_column("NULL"),
        "endCursor": lambda _: cursor_at(func.least(count, size)),
    }
    fields: Fields = {
        "edges": lambda inner: (
            select(json_list(inner.object(f"{type_name}Edge", edge), c.position))
            .where(c.position <= size)
            .scalar_subquery()
        ),
        "pageInfo": lambda inner: inner.object("PageInfo", page_info),
    }
    return selection.object(f"{type_name}Connection", fields)


# The registry and the extension ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledRequest:
    """`access_log`: whether reads are logged (the setting); a form whose statement writes its
    own log rows (`logs_in_statement`) adds them only then."""

    actor: Actor
    variables: Mapping[str, Any]
    language: str
    compiler: Compiler
    access_log: bool = False


class CompiledDocument(Protocol):
    """A trusted document's compiled form, offered by a slice's api.

    Two optional methods (looked up with getattr): `key(variables) -> Hashable`, more of what
    the statement built for a shape of request depends on (the day "today" is, when the
    variables leave it out); `async finish(answer: CompiledAnswer) -> dict`, the Python step after
    the statement for what only Python can do (note the access log's reads; sign download
    links), given the statement's further columns.

    An optional attribute `bound_variables`, {variable name: what of its value the statement's
    structure depends on}, names the variables a form binds as parameters read from each
    request (app.core.shapes.variable): their values are then no part of the statement's key,
    so that one statement serves every child asked about, not one built per child.

    An optional attribute `logs_in_statement = True` says that the statement itself writes the
    access log's rows when `CompiledRequest.access_log` is on (a data-modifying CTE, app.privacy.
    accesslog's `logging_in_statement`): where the statement's answer is then left to the
    resolvers, its rows are rolled back, since the resolvers log their own."""

    name: str

    def accepts(self, variables: Mapping[str, Any]) -> bool:
        """Whether the variables have shapes this form answers exactly as the resolvers."""

    def statement(self, request: CompiledRequest) -> Select[Any]:
        """One statement selecting one row: the operation's `data` as JSON (then, for
        `finish`, any further columns). Raises NotCompilable for what it does not answer."""

    def record(self, answered: CompiledAnswer) -> None:
        """Note in the access log the children whose data the answer holds, exactly as the
        resolvers would (no statement: the request's end writes them), or, for a form that
        logs in its statement, keep what it wrote. A form whose answer holds no child's data
        does nothing; every form must say so (a test compares the log's rows of both paths,
        tests/api/test_compiled_access_log.py)."""


@dataclass(frozen=True, slots=True)
class CompiledAnswer:
    """What a form's `finish` and `record` get: the answer as decoded (`data`), the statement's
    further columns, the real actor, the request's session, context (runtime, language), the
    operation's name, its variables and whether reads are logged."""

    data: dict[str, Any]
    columns: tuple[Any, ...]
    actor: Actor
    context: Any
    db: Any
    operation: str
    variables: Mapping[str, Any]
    access_log: bool = False


def global_id_type(value: Any) -> str | None:
    """The type a global ID names (None: not one): what a statement that binds an ID variable
    depends on (a form's `bound_variables`)."""
    decoded = try_decode(value) if isinstance(value, str) else None
    return decoded[0] if decoded is not None else None


def id_of(value: Any, type_name: str) -> uuid.UUID | None:
    """The UUID in a global ID of `type_name` (None for None); NotCompilable for anything
    else (the resolver answers)."""
    if value is None:
        return None
    decoded = try_decode(value) if isinstance(value, str) else None
    if decoded is None or decoded[0] != type_name:
        raise NotCompilable(f"not a {type_name} ID")
    return decoded[1]


def bound_id(request: CompiledRequest, name: str, type_name: str, argument: Any) -> Any:
    """The UUID of the `type_name` global ID an argument holds (NotCompilable: not one), as a
    parameter read from each request's variable `name` when the argument is that variable (the
    form lists it in `bound_variables`), so that one statement serves every ID asked about."""

    def read(variables: Mapping[str, Any]) -> uuid.UUID:
        found = id_of(variables[name], type_name)
        if found is None:
            raise NotCompilable(f"no {type_name} ID")
        return found

    value = read({name: argument})
    if request.variables.get(name) != argument:
        return value  # written in the document: the document is part of the statement's key
    return variable(request.actor, name, value, read, Uuid)


@dataclass(frozen=True, slots=True)
class _Built:
    """A statement built from a ShapedActor (app.core.shapes): reused for every actor of its
    shape asking the same document with the same variables, its actor's values bound afresh.
    `statement` None: the form looks at the actor's values and is built per request."""

    document: DocumentNode
    statement: Select[Any] | None
    parameters: Any


STATEMENTS_KEPT = 1024


class CompiledDocuments:
    """The compiled forms by operation name (root fills it from the slices), and the statements
    built per shape of request (see `_Built`)."""

    def __init__(self, forms: Iterable[CompiledDocument] = ()) -> None:
        self.built: dict[Hashable, _Built] = {}
        self._by_name: dict[str, CompiledDocument] = {}
        for form in forms:
            if form.name in self._by_name:
                raise ValueError(f"two compiled forms of {form.name}")
            self._by_name[form.name] = form

    def get(self, name: str) -> CompiledDocument | None:
        return self._by_name.get(name)

    def __iter__(self) -> Any:
        return iter(self._by_name.values())


class _RequestContext(Protocol):
    db: Any
    language: str
    runtime: Any

    async def actor(self) -> Actor | None: ...

    def begin_operation(self) -> None: ...


_decode = msgspec.json.Decoder().decode
_DECLINED = "seddel.compiled_declined"


@dataclass(frozen=True, slots=True)
class Asked:
    """What one operation asks a compiled form: the trusted document, its variables."""

    name: str
    document: DocumentNode
    variables: Mapping[str, Any]


class CompiledAnswers:
    """Answers a trusted document by its compiled statement when it may (see the module), for
    the GraphQL pipeline (`CompiledDocumentsExtension`) and the direct path of HTTP requests
    (app/api/direct.py) alike. The documents the pipeline has answered compiled are `vetted`:
    every guard of the document itself (validation, depth, aliases, tokens, introspection) let
    them through, which the direct path relies on."""

    def __init__(self, compiled: CompiledDocuments, trusted: TrustedDocuments) -> None:
        self.compiled = compiled
        self.trusted = trusted
        # By identity (an Apollo form is a document of its own, with more tokens); the
        # document is kept, so that its id is never another's.
        self._vetted: dict[int, DocumentNode] = {}

    def vet(self, document: DocumentNode) -> None:
        self._vetted[id(document)] = document

    def vetted(self, document: DocumentNode) -> bool:
        return self._vetted.get(id(document)) is document

    def asked(
        self,
        operation_name: str | None,
        operation_extensions: Mapping[str, Any] | None,
        variables: Mapping[str, Any] | None,
    ) -> tuple[Asked, CompiledDocument] | None:
        """The trusted document the request names (by hash, else by name) and its compiled
        form, when it has one that accepts the variables."""
        requested = _requested_hash(operation_extensions)
        trusted = (
            self.trusted.by_hash(requested)
            if requested is not None
            else self.trusted.by_name(operation_name or "")
        )
        if trusted is None:
            return None
        form = self.compiled.get(trusted.name)
        if form is None or not form.accepts(variables or {}):
            return None
        return Asked(trusted.name, trusted.document, variables or {}), form

    def decline(self, context: _RequestContext) -> None:
        """The request was asked of its compiled form, which would not answer: the pipeline,
        which runs next, does not ask it a second time (one sign-in statement, one answer)."""
        context.db.info[_DECLINED] = True

    def declined(self, context: _RequestContext) -> bool:
        return bool(context.db.info.pop(_DECLINED, False))

    async def answer(
        self, form: CompiledDocument, asked: Asked, context: _RequestContext
    ) -> dict[str, Any] | None:
        db = context.db
        if db.get_bind().dialect.name != "postgresql":
            return None
        actor = await context.actor()  # the request's first statement, as on the normal path
        if actor is None or actor.may_only_enrol:
            # The resolvers answer UNAUTHENTICATED, or that a second factor must be set up first.
            return None
        access_log: bool = context.runtime.settings.access_log
        try:
            statement, parameters = self._statement(
                form, asked, actor, context.language, access_log
            )
        except Exception as reason:
            # NotCompilable, or what the resolvers refuse (a bad cursor or page size): they
            # answer, with their own error. Nothing ran yet.
            log.debug("%s not compiled: %r", form.name, reason)
            return None
        try:
            row = (await db.execute(statement, parameters)).one()
            raw: str = row[0]
            if RESOLVERS_ONLY in raw:
                COMPILED.labels(form.name, "resolvers").inc()
                if access_log and getattr(form, "logs_in_statement", False):
                    # The statement logged an answer the resolvers now give: they log it.
                    await db.rollback()
                    context.begin_operation()
                return None  # else the transaction and the actor stay: execution goes on
            answer = CompiledAnswer(
                data=_decode(raw),
                columns=tuple(row[1:]),
                actor=actor,
                context=context,
                db=db,
                operation=form.name,
                variables=asked.variables,
                access_log=access_log,
            )
            finish = getattr(form, "finish", None)
            data: dict[str, Any] = await finish(answer) if finish is not None else answer.data
        except Exception:
            # The resolvers answer instead, with their own errors; the failed statement ended
            # the transaction, so the next one signs in afresh.
            log.exception("compiled %s failed; executing normally", form.name)
            COMPILED.labels(form.name, "fallback").inc()
            await db.rollback()
            context.begin_operation()
            return None
        form.record(dataclasses.replace(answer, data=data))
        COMPILED.labels(form.name, "compiled").inc()
        return data

    def _statement(
        self, form: CompiledDocument, asked: Asked, actor: Actor, language: str, access_log: bool
    ) -> tuple[Select[Any], dict[str, Any]]:
        """The form's statement for this request and its parameters: the one built for this
        shape of request if there is one, else built now (and kept, if it could be shaped)."""
        document, variables = asked.document, asked.variables
        extra = getattr(form, "key", None)
        bound: Mapping[str, Callable[[Any], Hashable]] = getattr(form, "bound_variables", {})
        keyed = {
            name: ("bound", bound[name](value)) if name in bound else value
            for name, value in variables.items()
        }
        key = _shape_key(
            form.name,
            language,
            actor,
            keyed,
            (access_log, extra(variables) if extra is not None else None),
        )
        built = self.compiled.built.get(key) if key is not None else None
        if built is not None and built.document is document:
            if built.statement is not None:
                BUILT.labels(form.name, "reused").inc()
                return built.statement, built.parameters.values_for(actor, variables)
            BUILT.labels(form.name, "per_request").inc()
            return self._build(form, asked, actor, language, access_log), {}
        shaped = ShapedActor(actor)
        try:
            statement = form.statement(
                CompiledRequest(
                    cast_type(Actor, shaped),
                    variables,
                    language,
                    Compiler(document, variables),
                    access_log,
                )
            )
        except NotCompilable:
            raise
        except Exception as reason:
            # The form looked at the actor's values (ValueDependent, or a SQL comparison used
            # as a Python bool): it is built per request from the actor itself.
            log.debug("%s not shaped: %r", form.name, reason)
            self._keep(key, _Built(document, None, None))
            BUILT.labels(form.name, "per_request").inc()
            return self._build(form, asked, actor, language, access_log), {}
        # Reused for every request of its shape: its compiled-cache key is hashed once.
        statement = key_hashed_once(statement)
        self._keep(key, _Built(document, statement, shaped.parameters))
        BUILT.labels(form.name, "built").inc()
        return statement, shaped.parameters.values_for(actor, variables)

    def _build(
        self, form: CompiledDocument, asked: Asked, actor: Actor, language: str, access_log: bool
    ) -> Select[Any]:
        compiler = Compiler(asked.document, asked.variables)
        return form.statement(
            CompiledRequest(actor, asked.variables, language, compiler, access_log)
        )

    def _keep(self, key: Hashable | None, built: _Built) -> None:
        if key is None:
            return
        kept = self.compiled.built
        if len(kept) >= STATEMENTS_KEPT:
            del kept[next(iter(kept))]  # the oldest: the hot shapes are built again at once
        kept[key] = built


class CompiledDocumentsExtension(SchemaExtension):
    """The pipeline's way to `CompiledAnswers`. List it after the guards that refuse before
    execution (cost, text input rule)."""

    def __init__(self, answers: CompiledAnswers) -> None:
        super().__init__()
        self.answers = answers

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        found = self.answers.asked(
            execution.operation_name, execution.operation_extensions, execution.variables
        )
        # Only the very document the trusted documents chose (never raw text in development).
        if (
            found is not None
            and document is not None
            and found[0].document is document
            and not execution.pre_execution_errors
            and not self.answers.declined(execution.context)
        ):
            asked, form = found
            data = await self.answers.answer(form, asked, execution.context)
            if data is not None:
                execution.result = ExecutionResult(data=data, errors=None)
                self.answers.vet(asked.document)
        yield


def _shape_key(
    name: str,
    language: str,
    actor: Actor,
    variables: Mapping[str, Any],
    extra: Hashable = None,
) -> Hashable | None:
    """What a shaped statement depends on; None when the variables are not plain values."""
    try:
        frozen = tuple(sorted(variables.items()))
        hash(frozen)
    except TypeError:
        return None
    return (name, language, shape_of(actor), frozen, extra)


def as_text(value: ColumnElement[Any]) -> Select[Any]:
    """The statement's one column, as JSON text (decoded once, by msgspec)."""
    return select(cast(value, Text))
