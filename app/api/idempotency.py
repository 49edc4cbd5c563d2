"""Idempotent creating mutations: one decorator, one optional argument, one answer.

Every mutation that creates something a person sees takes `idempotencyKey: String` (1-128
characters; the text rule of app.api.inputs applies as to every string), made by the client
per attempt and sent again with every retry of that attempt:

- a retry with the same key (same user, same operation, same arguments) creates nothing and
  answers with what the first attempt created, as it is now;
- the same key with another operation or other arguments is `IdempotencyKeyReusedError`
  (`field: "idempotencyKey"`): the client made one key for two things;
- another user's same key is another key;
- keys are kept at least 24 hours (accounts' retention job removes older ones).

The answer says which it was in the response's `extensions.idempotency`, per response key
(the field's alias or name): `{"sendMessage": {"key": "…", "replayed": true}}`.

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    @errors_as_data
    @idempotent(Message, present=first(MessageNode.of))
    async def send_message(self, info: Info, ..., idempotency_key: IdempotencyKeyArg = None)

`creates` names the rows the mutation's effect inserts that a replay answers with; `present`
turns those rows (in the order they were created) into the mutation's success type. The key
is written by the store in the same transaction as those rows (app.core.idempotency); this
module imports no slice: the store comes from app.root through `IdempotencyReport`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from datetime import date, datetime, time
from enum import Enum
from inspect import isawaitable
from typing import Annotated, Any, ParamSpec, TypeVar

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from app.core.errors import IdempotencyKeyReused, NotFound, ValidationFailed
from app.core.idempotency import MAX_KEY_LENGTH, Claim, KeyStore

ARGUMENT = "idempotency_key"
# Set on the wrapped resolver (functools.wraps carries it through errors_as_data): the
# tripwire test checks that every creating mutation is really wrapped, not only has the argument.
MARK = "__seddel_idempotent__"
FIELD = "idempotencyKey"

IdempotencyKeyArg = Annotated[
    str | None,
    strawberry.argument(
        description=(
            "Made by the client (1-128 characters, e.g. a UUID) and sent again with every retry"
            " of this attempt: a retry creates nothing and answers with the first result"
            " (`extensions.idempotency`); kept at least 24 hours."
        )
    ),
]


@dataclasses.dataclass
class _Operation:
    store: KeyStore
    report: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)


_current: ContextVar[_Operation | None] = ContextVar("seddel_idempotency", default=None)


class IdempotencyReport(SchemaExtension):
    """Gives the operation's idempotent mutations the key store, and reports in the
    response's extensions which of them were replays."""

    def __init__(self, store: KeyStore) -> None:
        self.store = store
        self.operation: _Operation | None = None

    def on_execute(self) -> Iterator[None]:
        self.operation = _Operation(self.store)
        token = _current.set(self.operation)
        try:
            yield
        finally:
            _current.reset(token)

    def get_results(self) -> dict[str, Any]:
        if self.operation is None or not self.operation.report:
            return {}
        return {"idempotency": self.operation.report}


P = ParamSpec("P")
R = TypeVar("R")
Present = Callable[[list[Any]], Any]


def first(present: Callable[[Any], R]) -> Callable[[list[Any]], R]:
    """The usual `present`: the mutation answers with the one row it created."""
    return lambda rows: present(rows[0])


def fingerprint(operation: str, arguments: Mapping[str, Any]) -> str:
    """SHA-256 of the operation and its normalized arguments (input objects as maps, enums by
    value, times in ISO form, keys sorted): the same request always, another one never."""
    payload = json.dumps([operation, _plain(dict(arguments))], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not strawberry.UNSET
        }
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not strawberry.UNSET}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def idempotent(
    *creates: type[Any], present: Present
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Make a creating mutation's resolver replayable by its `idempotency_key` argument
    (place it under `errors_as_data`, which turns the errors raised here into data)."""

    def decorate(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(resolver)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            key = kwargs.get(ARGUMENT)
            info = kwargs.get("info")
            if key is None or not isinstance(info, Info):
                return await resolver(*args, **kwargs)
            if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH:
                raise ValidationFailed("idempotency_key_length", field=FIELD, length=MAX_KEY_LENGTH)
            operation = _current.get()
            if operation is None:
                raise RuntimeError("idempotent mutation outside IdempotencyReport")
            store, db = operation.store, info.context.db
            actor = await info.context.require_actor()
            arguments = {k: v for k, v in kwargs.items() if k not in ("info", ARGUMENT)}
            claim = Claim(
                user_id=actor.user_id,
                key=key,
                operation=info.field_name,
                fingerprint=fingerprint(info.field_name, arguments),
                creates=creates,
            )

            async def replay() -> R | None:
                recorded = await store.recall(db, user_id=claim.user_id, key=key)
                if recorded is None:
                    return None
                if (recorded.operation, recorded.fingerprint) != (
                    claim.operation,
                    claim.fingerprint,
                ):
                    raise IdempotencyKeyReused(field=FIELD)
                rows = await store.rows(db, recorded, creates)
                if rows is None:
                    raise NotFound(field=FIELD)  # what it created is gone since
                operation.report[str(info.path.key)] = {"key": key, "replayed": True}
                answer = present(rows)
                return await answer if isawaitable(answer) else answer  # type: ignore[no-any-return]

            replayed = await replay()
            if replayed is not None:
                return replayed
            store.arm(db, claim)
            try:
                result = await resolver(*args, **kwargs)
            except Exception as error:
                if not store.is_key_clash(error):
                    raise
                # A concurrent retry with this key committed first; ours rolled back whole.
                store.disarm(db)
                replayed = await replay()
                if replayed is None:
                    raise
                return replayed
            finally:
                store.disarm(db)
            operation.report[str(info.path.key)] = {"key": key, "replayed": False}
            return result

        setattr(wrapper, MARK, True)
        return wrapper

    return decorate


def idempotent_forms(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Mark a resolver with several forms (one child or siblings) that answer with different
    types: it hands each form to a function wrapped by `idempotent` with its own `present`,
    passing `info` and `idempotency_key` on as keywords. The mark is what the tripwire test
    looks for."""
    setattr(resolver, MARK, True)
    return resolver
