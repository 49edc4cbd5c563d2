"""Every refusal has a specific, documented reason: the raise sites are walked, not listed.

A DomainError's reason is its message key in capitals (app/core/reasons.py). These tests read
every module of app/ and check each place that builds a DomainError (or a subclass) names a
key with a reason of its own, never the base classes' generic fallback; that every reason is
in the schema's ErrorReason enum with a description; and that the two errors of the issue an
offline tablet must tell apart come back apart, with whether a retry can help.
"""

from __future__ import annotations

import ast
import inspect
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLEnumType, GraphQLInterfaceType, GraphQLNonNull

import app
from app.config import Settings
from app.core import errors
from app.core.errors import DomainError
from app.core.i18n import MESSAGES
from app.core.reasons import GENERIC, RETRYABLE, Reason
from app.root.schema import build_schema

APP = Path(app.__file__).parent


def domain_error_classes() -> dict[str, type[DomainError]]:
    """Every DomainError subclass in app/, by name (imports every module of app/)."""
    import importlib
    import pkgutil

    for module in pkgutil.walk_packages([str(APP)], prefix="app."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: dict[str, type[DomainError]] = {}
    stack: list[type[DomainError]] = [DomainError]
    while stack:
        cls = stack.pop()
        found[cls.__name__] = cls
        stack.extend(cls.__subclasses__())
    return found


def construction_sites() -> Iterator[tuple[str, int, str, ast.Call]]:
    classes = domain_error_classes()
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in classes and name != "DomainError":
                yield f"{path.relative_to(APP.parent)}:{node.lineno}", node.lineno, name, node


def default_key(cls: type[DomainError]) -> str | None:
    """The message key a class passes when its raise site names none."""
    parameter = inspect.signature(cls.__init__).parameters.get("message_key")
    if parameter is not None and isinstance(parameter.default, str):
        return parameter.default
    source = inspect.getsource(cls.__init__)
    call = next(
        (
            n
            for n in ast.walk(ast.parse(inspect.cleandoc("\n" + source)))
            if isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "__init__"
        ),
        None,
    )
    if call and call.args and isinstance(call.args[0], ast.Constant):
        return str(call.args[0].value)
    return None


def test_every_raise_site_has_a_specific_documented_reason() -> None:
    classes = domain_error_classes()
    sites = list(construction_sites())
    assert len(sites) > 200, "the walk found the raise sites"
    problems = []
    for where, _, name, call in sites:
        if call.args:
            first = call.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                # e.g. TooManyAttempts(seconds): its key is fixed in the class
                key = default_key(classes[name])
            else:
                key = first.value
        else:
            key = default_key(classes[name])
        if key is None:
            problems.append(f"{where}: {name} without a message key this test can read")
            continue
        reason = Reason.__members__.get(key.upper())
        if reason is None:
            problems.append(f"{where}: {name}({key!r}) has no reason in app/core/reasons.py")
        elif reason in GENERIC:
            problems.append(f"{where}: {name}({key!r}) has only the generic reason {reason}")
        if key not in MESSAGES:
            problems.append(f"{where}: {key!r} has no text in app/core/i18n.py")
    assert not problems, "\n".join(problems)


def test_the_base_classes_name_their_fallback_and_keys_become_reasons() -> None:
    assert errors.Conflict("not_checked_in").reason is Reason.NOT_CHECKED_IN
    assert errors.Conflict("already_checked_out").reason is Reason.ALREADY_CHECKED_OUT
    assert errors.NotFound().reason is Reason.NOT_FOUND
    assert errors.InvalidCredentials().reason is Reason.INVALID_CREDENTIALS
    assert errors.TooManyAttempts(30).reason is Reason.TOO_MANY_ATTEMPTS
    assert errors.TooManyAttempts(30).retryable
    assert errors.Conflict("no_such_key").reason is Reason.CONFLICT  # never from app/ (above)


def test_every_reason_is_in_the_schema_with_a_description_and_texts() -> None:
    schema = build_schema(Settings())._schema
    enum = schema.type_map["ErrorReason"]
    assert isinstance(enum, GraphQLEnumType)
    assert set(enum.values) == {reason.value for reason in Reason}
    for name, value in enum.values.items():
        assert value.description and value.description != name, name
        texts = MESSAGES.get(name.lower())
        assert texts and texts.get("da") and texts.get("en"), f"{name} needs Danish and English"
    interface = schema.type_map["UserError"]
    assert isinstance(interface, GraphQLInterfaceType)
    for field, type_name in (("reason", "ErrorReason"), ("retryable", "Boolean")):
        field_type = interface.fields[field].type
        assert isinstance(field_type, GraphQLNonNull) and field_type.of_type.name == type_name
    implementers = schema.get_implementations(interface).objects
    assert len(implementers) >= 5
    for implementer in implementers:
        assert {"code", "reason", "retryable"} <= set(implementer.fields), implementer.name


def test_retryable_reasons_are_reasons() -> None:
    assert set(Reason) >= RETRYABLE and not RETRYABLE & GENERIC


# --- what an offline tablet sees --------------------------------------------------------------

PERNILLE = "pernille@solsikken.example"


@pytest.fixture
def presence_clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    from app.attendance.service import clock

    now = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # Monday 09:00 in Copenhagen
    monkeypatch.setattr(clock, "now", lambda: now)
    return now


async def _liva(client: Any) -> str:
    from tests.attendance.plan_helpers import family

    return str((await family(client))["liva"])


CHECK_OUT = """
mutation Out($eventId: ID!, $childId: ID!, $at: DateTime!) {
  checkOut(input: {eventId: $eventId, childId: $childId, at: $at, pickedUpBy: {otherName: "Mormor"}, overrideReason: "Aftalt i telefon"}) {
    __typename ... on UserError { code reason retryable field }
  }
}"""
CHECK_IN = """
mutation In($eventId: ID!, $childId: ID!, $at: DateTime!) {
  checkIn(input: {eventId: $eventId, childId: $childId, at: $at}) {
    __typename ... on UserError { code reason retryable }
  }
}"""


async def test_not_checked_in_and_already_checked_out_come_back_apart(
    client: Any, presence_clock: datetime
) -> None:
    liva = await _liva(client)
    at = presence_clock - timedelta(hours=1)

    async def send(query: str, name: str, when: datetime) -> dict[str, Any]:
        variables = {"eventId": str(uuid.uuid4()), "childId": liva, "at": when.isoformat()}
        payload = await client.execute(name, variables, query=query, as_=PERNILLE)
        assert payload.get("errors") is None, payload
        return dict(next(iter(payload["data"].values())))

    early_out = await send(CHECK_OUT, "Out", at)
    assert early_out["code"] == "CONFLICT"
    assert early_out["reason"] == "NOT_CHECKED_IN"
    assert early_out["retryable"] is True  # the check-in may still be in the tablet's queue
    checked_in = await send(CHECK_IN, "In", at - timedelta(minutes=30))
    assert checked_in["__typename"] == "PresenceChanged", checked_in
    assert (await send(CHECK_OUT, "Out", at))["__typename"] == "PresenceChanged"
    twice = await send(CHECK_OUT, "Out", at + timedelta(minutes=5))
    assert twice["code"] == "CONFLICT"
    assert twice["reason"] == "ALREADY_CHECKED_OUT"
    assert twice["retryable"] is False  # drop it: the child is gone home


async def test_top_level_errors_carry_the_reason(client: Any) -> None:
    query = "query M { me { __typename } }"
    payload = await client.execute("M", query=query)
    extensions = payload["errors"][0]["extensions"]
    assert extensions["code"] == "UNAUTHENTICATED"
    assert extensions["reason"] == "UNAUTHENTICATED" and extensions["retryable"] is False
    query = 'query N { childPlan(childId: "nope", start: "2030-01-07") { day } }'
    payload = await client.execute("N", query=query, as_="mette@example.com")
    extensions = payload["errors"][0]["extensions"]
    assert extensions == {
        "code": "NOT_FOUND",
        "field": "childId",
        "reason": "NOT_FOUND",
        "retryable": False,
    }
