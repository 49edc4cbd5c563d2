"""One rule for every text input: NUL, lone surrogates and non-characters are refused with
INVALID naming the field, before any resolver, the same on SQLite and PostgreSQL.

The table is the schema itself: every argument of Query and Mutation whose type holds a
String or ID (through non-null, lists and input objects) gets an operation with a NUL in
that place, so a new field is covered without anyone adding it here.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)
from strawberry.schema_directives import OneOf

from app.api.ids import encode
from app.config import Settings
from app.core.values import allowed_text
from app.root.schema import build_schema
from tests.files import png_bytes, upload_response
from tests.helpers import SOLSIKKEN_ADMIN, institution_id
from tests.messaging.util import PERNILLE, bodies, demo, send, started

SIGNED_IN = "mette@example.com"
NUL = "\u0000"
TEXT_SCALARS = {"String", "ID"}
# Values of the other scalars for required arguments: syntactically valid is enough, since the
# rule refuses the operation before any resolver looks at them.
SCALAR_SAMPLES: dict[str, Any] = {
    "Int": 1,
    "Float": 1.5,
    "Boolean": True,
    "Date": "2026-01-05",
    "DateTime": "2026-01-05T08:00:00+00:00",
    "Time": "08:00:00",
    "UUID": str(uuid.UUID(int=1)),
    "JSON": {},
}
SAMPLE_ID = encode("Child", uuid.UUID(int=7))


def refused(field: str) -> dict[str, Any]:
    return {"code": "INVALID", "field": field, "reason": "INVALID_CHARACTERS", "retryable": False}


@dataclass(frozen=True)
class Case:
    root: str  # query | mutation
    field: str
    path: tuple[str | int, ...]  # the argument, then input fields and list indices
    expected_field: str

    @property
    def id(self) -> str:
        return f"{self.root}.{self.field}:{'.'.join(map(str, self.path))}"


def _text_paths(type_: GraphQLInputType, seen: frozenset[str] = frozenset()) -> list[tuple]:
    """Every place a string can go in a value of `type_`: () for the value itself, a tuple of
    input field names and list indices (0) below it."""
    if isinstance(type_, GraphQLNonNull):
        return _text_paths(type_.of_type, seen)
    if isinstance(type_, GraphQLList):
        return [(0, *p) for p in _text_paths(type_.of_type, seen)]
    if isinstance(type_, GraphQLScalarType):
        return [()] if type_.name in TEXT_SCALARS else []
    if isinstance(type_, GraphQLInputObjectType) and type_.name not in seen:
        inner = seen | {type_.name}
        return [
            (name, *p)
            for name, field in type_.fields.items()
            for p in _text_paths(field.type, inner)
        ]
    return []


def _minimal(type_: GraphQLInputType, text_at: tuple | None, text: str) -> Any:
    """A valid value of `type_` with `text` at `text_at` (None: nowhere), the rest minimal:
    required fields only, lists of one item."""
    if isinstance(type_, GraphQLNonNull):
        return _minimal(type_.of_type, text_at, text)
    if isinstance(type_, GraphQLList):
        return [_minimal(type_.of_type, text_at[1:] if text_at else None, text)]
    if isinstance(type_, GraphQLScalarType):
        if text_at is not None:
            return text
        if type_.name == "ID":
            return SAMPLE_ID
        if type_.name == "String":
            return "x"
        return SCALAR_SAMPLES[type_.name]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLInputObjectType), type_
    chosen = text_at[0] if text_at else None
    if _one_of(type_):
        name = chosen or next(iter(type_.fields))
        fields = {name: type_.fields[name]}
    else:
        fields = {
            name: field
            for name, field in type_.fields.items()
            if name == chosen or _required(field)
        }
    return {
        name: _minimal(field.type, text_at[1:] if text_at and name == chosen else None, text)
        for name, field in fields.items()
    }


def _one_of(type_: GraphQLInputObjectType) -> bool:
    """Strawberry keeps @oneOf on its own definition (graphql-core's flag stays False)."""
    definition = type_.extensions.get("strawberry-definition")
    directives = getattr(definition, "directives", ()) or ()
    return type_.is_one_of or any(isinstance(d, OneOf) for d in directives)


def _required(field: GraphQLArgument | GraphQLInputField) -> bool:
    return isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined


def _expected(path: tuple) -> str:
    names = [str(p) for p in path]
    if len(names) > 1 and names[0] == "input":
        names = names[1:]
    return ".".join(names)


SCHEMA = build_schema(Settings())._schema


def _cases() -> list[Case]:
    schema = SCHEMA
    cases = []
    for root, type_ in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert isinstance(type_, GraphQLObjectType)
        for field_name, field in type_.fields.items():
            for arg_name, arg in field.args.items():
                for path in _text_paths(arg.type):
                    full = (arg_name, *path)
                    cases.append(Case(root, field_name, full, _expected(full)))
    return cases


CASES = _cases()


def _operation(case: Case, text: str, *, as_variable: bool = False) -> tuple[str, dict]:
    """The raw document (and variables) calling the case's field with `text` in its place."""
    schema = SCHEMA
    root = schema.query_type if case.root == "query" else schema.mutation_type
    assert root is not None
    field: GraphQLField = root.fields[case.field]
    arguments, definitions, variables = [], [], {}
    for name, arg in field.args.items():
        if name != case.path[0] and not _required(arg):
            continue
        value = _minimal(arg.type, case.path[1:] if name == case.path[0] else None, text)
        if as_variable and name == case.path[0]:
            definitions.append(f"${name}: {arg.type}")
            variables[name] = value
            arguments.append(f"{name}: ${name}")
        else:
            arguments.append(f"{name}: {_literal(value, arg.type)}")
    selection = (
        ""
        if isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
        else " { __typename }"
    )
    header = f"({', '.join(definitions)})" if definitions else ""
    call = f"{case.field}({', '.join(arguments)})" if arguments else case.field
    return f"{case.root} Op{header} {{ {call}{selection} }}", variables


def _literal(value: Any, type_: GraphQLInputType) -> str:
    """`value` (as `_minimal` builds it) written as a GraphQL literal of `type_`."""
    if isinstance(type_, GraphQLNonNull):
        return _literal(value, type_.of_type)
    if isinstance(type_, GraphQLList):
        return "[" + ", ".join(_literal(item, type_.of_type) for item in value) + "]"
    if isinstance(type_, GraphQLEnumType):
        return str(value)
    if isinstance(type_, GraphQLInputObjectType):
        fields = (f"{k}: {_literal(v, type_.fields[k].type)}" for k, v in value.items())
        return "{" + ", ".join(fields) + "}"
    return json.dumps(value)  # strings (JSON escapes are GraphQL's), numbers, booleans


def _assert_refused(payload: dict[str, Any], case: Case) -> None:
    errors = payload.get("errors") or []
    assert len(errors) == 1, (case.id, payload)
    extensions = errors[0].get("extensions") or {}
    assert extensions.get("code") == "INVALID", (case.id, payload)
    assert extensions.get("field") == case.expected_field, (case.id, payload)
    assert payload.get("data") is None, (case.id, payload)


def test_the_table_covers_the_text_arguments_of_the_schema():
    ids = {case.id for case in CASES}
    assert len(ids) == len(CASES)
    # A few that must be there, as a check of the walk itself.
    assert "mutation.login:email" in ids
    assert any(c.field == "sendMessage" and c.expected_field == "body" for c in CASES)
    assert any(i.startswith("mutation.") and i.count(".") >= 2 for i in ids)  # inside inputs


async def test_nul_in_every_text_argument_is_refused_naming_the_field(client):
    failures = []
    for case in CASES:
        query, variables = _operation(case, NUL)
        payload = await client.execute("Op", variables, query=query, as_=SIGNED_IN)
        try:
            _assert_refused(payload, case)
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures[:20])


async def test_nul_in_every_text_argument_through_variables_is_refused(client):
    failures = []
    for case in CASES:
        query, variables = _operation(case, NUL, as_variable=True)
        payload = await client.execute("Op", variables, query=query, as_=SIGNED_IN)
        try:
            _assert_refused(payload, case)
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures[:20])


async def _send_message_body(client, body_json: str, language: str = "da") -> dict[str, Any]:
    """sendMessage through variables, `body_json` spliced raw into the HTTP JSON body (so
    JSON escapes such as a lone surrogate arrive as the client wrote them)."""
    case = next(c for c in CASES if c.field == "sendMessage" and c.expected_field == "body")
    query, variables = _operation(case, "PLACEHOLDER", as_variable=True)
    body = json.dumps({"operationName": "Op", "query": query, "variables": variables})
    body = body.replace('"PLACEHOLDER"', body_json)
    token = await client.token_for(SIGNED_IN)
    response = await client.http.post(
        "/graphql",
        content=body.encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept-Language": language,
        },
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


@pytest.mark.parametrize(
    "body_json",
    [
        pytest.param('"Hej\\u0000"', id="nul"),
        pytest.param('"Hej \\ud800 der"', id="lone-high-surrogate"),
        pytest.param('"\\udfff"', id="lone-low-surrogate"),
        pytest.param('"Hej \\ufdd0"', id="non-character-fdd0"),
        pytest.param('"Hej \\uffff"', id="non-character-ffff"),
        pytest.param('"Hej \\ud83f\\udffe"', id="non-character-1fffe"),
    ],
)
async def test_a_message_body_with_a_forbidden_character_is_refused(client, body_json):
    payload = await _send_message_body(client, body_json)
    error = payload["errors"][0]
    assert error["extensions"] == refused("body")
    assert error["message"] == "Teksten indeholder tegn, der ikke er tilladt."
    assert payload.get("data") is None


async def test_the_refusal_speaks_the_callers_language(client):
    payload = await _send_message_body(client, '"\\u0000"', language="en")
    assert payload["errors"][0]["message"] == "The text contains characters that are not allowed."


async def test_danish_text_and_emoji_pass_the_rule_and_are_stored_as_sent(client):
    subject = "Tur til Ærø 🚢"
    body = "Hej Søren, å på skøjter i går 👩\u200d👧 🎉 (U+FFFD � is a character)"
    assert allowed_text(subject) and allowed_text(body)
    d = await demo(client)
    (t,) = await started(
        client,
        PERNILLE,
        d.institution,
        {"children": [d.child("Liva Holm-Jensen")]},
        subject=subject,
        body=body,
    )
    reply = await send(client, PERNILLE, t["id"], body)
    assert reply["__typename"] == "Message", reply
    assert await bodies(client, PERNILLE, t["id"]) == [body, body]
    # A literal in the document too: login answers as data, the rule let it through.
    query = (
        'mutation L { login(email: "søren.æblegård@example.com", password: "x") { __typename } }'
    )
    answer = await client.execute("L", query=query)
    assert answer.get("errors") is None, answer
    assert answer["data"]["login"]["__typename"] == "InvalidCredentialsError"


async def test_literal_in_a_fragment_and_a_variable_default_are_checked(client):
    fragment = 'query F { ...Q } fragment Q on Query { node(id: "\\u0000") { __typename } }'
    payload = await client.execute("F", query=fragment, as_=SIGNED_IN)
    assert payload["errors"][0]["extensions"] == refused("id")
    default = 'query D($id: ID! = "\\ufffe") { node(id: $id) { __typename } }'
    payload = await client.execute("D", query=default, as_=SIGNED_IN)
    assert payload["errors"][0]["extensions"] == refused("id")


@pytest.mark.parametrize(
    ("field", "institution", "purpose", "filename"),
    [
        pytest.param("institution", "\u0000", "photo", "a.png", id="institution-nul"),
        pytest.param("purpose", None, "photo\u0000", "a.png", id="purpose-nul"),
        pytest.param("file", None, "photo", "a\ufdd0.png", id="filename-non-character"),
    ],
)
async def test_upload_form_fields_follow_the_same_rule(
    client, field, institution, purpose, filename
):
    iid = institution or await institution_id(client, SOLSIKKEN_ADMIN)
    response = await upload_response(
        client,
        as_=SOLSIKKEN_ADMIN,
        institution=iid,
        purpose=purpose,
        filename=filename,
        data=png_bytes(10, 10),
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "INVALID" and body["field"] == field, body


@pytest.mark.parametrize(
    ("char", "allowed"),
    [
        ("\t\n\r", True),
        ("\ud7ff", True),
        ("\ue000", True),
        ("\ufdcf", True),
        ("\ufdf0", True),
        ("\ufffd", True),
        ("\U0010fffd", True),
        ("\x00", False),
        ("\ud800", False),
        ("\udbff\udc00", False),  # two lone surrogates, not a pair decoded into one character
        ("\ufdd0", False),
        ("\ufdef", False),
        ("\ufffe", False),
        ("\U0001ffff", False),
        ("\U000efffe", False),
        ("\U0010ffff", False),
    ],
)
def test_the_rule_at_its_edges(char, allowed):
    assert allowed_text(f"a{char}b") is allowed
