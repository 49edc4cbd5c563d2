"""Errors as data for mutations, top-level errors for the rest, in one place."""

from __future__ import annotations

import enum
import functools
import logging
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from contextlib import aclosing
from typing import Any, ParamSpec, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from app.api.scalars import ScalarRefused, refused_field
from app.core.errors import (
    ChildrenRefused,
    Conflict,
    DomainError,
    IdempotencyKeyReused,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    TooManyAttempts,
    ValidationFailed,
)
from app.core.i18n import MESSAGES, translate
from app.core.reasons import Reason, retryable

log = logging.getLogger("seddel.graphql")


def reason_extensions(reason: Reason) -> dict[str, Any]:
    """What every top-level error with a reason carries beside its `code`."""
    return {"reason": reason.value, "retryable": retryable(reason)}


UNAUTHENTICATED_EXTENSIONS = {
    "code": "UNAUTHENTICATED",
    **reason_extensions(Reason.UNAUTHENTICATED),
}


class Unauthenticated(GraphQLError):
    def __init__(self, language: str = "da") -> None:
        super().__init__(
            translate("unauthenticated", language), extensions=dict(UNAUTHENTICATED_EXTENSIONS)
        )


def _described(reason: Reason) -> strawberry.enum_value:  # type: ignore[valid-type]
    texts = MESSAGES.get(reason.value.lower(), {})
    description = re.sub(r"\{\w+\}", "…", texts.get("en", reason.value))
    if retryable(reason):
        description += " (Retryable: the same request may succeed later.)"
    return strawberry.enum_value(reason.value, description=description)


# The GraphQL face of app.core.reasons.Reason, member for member, each described by its
# English message. Values are the core enum's strings, so a resolver returns a core Reason.
_members: Any = {reason.name: _described(reason) for reason in Reason}
_reason_enum: Any = enum.Enum("ErrorReason", _members)  # type: ignore[misc]
ErrorReason = strawberry.enum(
    _reason_enum,
    name="ErrorReason",
    description=(
        "Why an operation was refused: specific and stable (added to, never renamed). "
        "`UserError.code` says the kind, this says the cause a program can act on."
    ),
)


@strawberry.interface(description="An error the user can fix, returned as data.")
class UserError:
    code: str = strawberry.field(description="The kind of error (stable, coarse).")
    message: str = strawberry.field(description="For people, in the caller's language.")
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    reason: Reason = strawberry.field(
        graphql_type=ErrorReason,
        description="The specific cause, for programs: act on this, never on `message`.",
    )
    retryable: bool = strawberry.field(
        description=(
            "Whether the same request, unchanged, may succeed later (after a wait, or once "
            "another queued request has arrived). False: show the message or drop it."
        )
    )


@strawberry.type(description="The input breaks a rule; `field` names the input.")
class ValidationError(UserError):
    pass


@strawberry.type(description="Does not exist, or is not yours: the two look the same.")
class NotFoundError(UserError):
    pass


@strawberry.type(description="Clashes with something that exists already.")
class ConflictError(UserError):
    pass


@strawberry.type(
    description="The idempotency key (`field`) was first used for another operation or other"
    " content: make a new key for a new attempt; a retry sends the very same arguments."
)
class IdempotencyKeyReusedError(UserError):
    pass


@strawberry.type(description="Wrong email or password (the same answer for an unknown email).")
class InvalidCredentialsError(UserError):
    pass


@strawberry.type(description="Too many failed attempts; try again after `retryAfterSeconds`.")
class TooManyAttemptsError(UserError):
    retry_after_seconds: int


@strawberry.type(
    description="The link's token is unknown, used, expired or superseded (one answer for all):"
    " ask for a new link."
)
class InvalidTokenError(UserError):
    pass


@strawberry.type(description="Why one child of a call for several children was refused.")
class ChildRefusal:
    index: int = strawberry.field(description="The child's position in the call's list (0-based).")
    error: UserError


@strawberry.type(
    description="A call for several children (siblings) was refused for some of them: "
    "`children` says which and why. Nothing was applied, for any child: resend without the "
    "refused ones (or fixed)."
)
class ChildrenRefusedError(UserError):
    children: list[ChildRefusal]


def as_user_error(error: DomainError, language: str) -> UserError:
    """The one mapping of a domain error to its GraphQL error type, reason and retryability."""
    fields: dict[str, Any] = {
        "code": error.code,
        "message": error.message(language),
        "field": error.field,
        "reason": error.reason,
        "retryable": error.retryable,
    }
    if isinstance(error, TooManyAttempts):
        return TooManyAttemptsError(**fields, retry_after_seconds=error.retry_after_seconds)
    if isinstance(error, ChildrenRefused):
        children = [
            ChildRefusal(index=index, error=as_user_error(refusal, language))
            for index, refusal in error.refusals
        ]
        return ChildrenRefusedError(**fields, children=children)
    kinds: list[tuple[type[DomainError], type[UserError]]] = [
        (NotFound, NotFoundError),
        (IdempotencyKeyReused, IdempotencyKeyReusedError),
        (Conflict, ConflictError),
        (InvalidCredentials, InvalidCredentialsError),
        (InvalidToken, InvalidTokenError),
        (ValidationFailed, ValidationError),
    ]
    for domain_type, api_type in kinds:
        if isinstance(error, domain_type):
            return api_type(**fields)
    return ValidationError(**fields)


P = ParamSpec("P")
R = TypeVar("R")


def errors_as_data(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Wrap a mutation resolver: a DomainError becomes one of the payload's error types."""

    @functools.wraps(resolver)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await resolver(*args, **kwargs)
        except DomainError as error:
            info = kwargs.get("info")
            language = info.context.language if isinstance(info, Info) else "da"
            return as_user_error(error, language)  # type: ignore[return-value]

    return wrapper


class FreshActorPerOperation(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        begin = getattr(self.execution_context.context, "begin_operation", None)
        if begin is not None:
            begin()
        yield

    def on_execute(self) -> Iterator[None]:
        # Parsed by now: the operation's name is known (the audit trail names it).
        name = getattr(self.execution_context.context, "name_operation", None)
        if name is not None:
            name(self.execution_context.operation_name)
        yield


class ErrorPolicy(SchemaExtension):
    """Domain errors outside mutations become coded errors; anything unexpected is masked
    and logged with the request id the client can quote."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not result or not result.errors:
            return
        execution = self.execution_context
        result.errors = [
            shape_error(error, execution.context, execution=execution) for error in result.errors
        ]


def shape_error(error: GraphQLError, context: Any, *, execution: Any = None) -> GraphQLError:
    original = error.original_error
    language = getattr(context, "language", "da")
    refused = error if isinstance(error, ScalarRefused) else original
    if isinstance(refused, ScalarRefused):
        return _refused_scalar(error, refused, language, execution)
    if original is None or isinstance(original, GraphQLError):
        return _with_reason(error)
    if isinstance(original, DomainError):
        return GraphQLError(
            original.message(language),
            nodes=error.nodes,
            path=error.path,
            extensions={
                "code": original.code,
                "field": original.field,
                **reason_extensions(original.reason),
            },
        )
    request_id = getattr(context, "request_id", "-")
    log.error(
        "unexpected error in %s",
        ".".join(str(p) for p in error.path or []),
        exc_info=original,
        extra={"request_id": request_id},
    )
    return GraphQLError(
        translate("internal_error", language, request_id=request_id),
        nodes=error.nodes,
        path=error.path,
        extensions={
            "code": "INTERNAL_SERVER_ERROR",
            "requestId": request_id,
            **reason_extensions(Reason.INTERNAL_ERROR),
        },
    )


def give_reasons(errors: list[GraphQLError]) -> None:
    """For errors returned before ErrorPolicy runs (a document that does not parse)."""
    for error in errors:
        _with_reason(error)


def _with_reason(error: GraphQLError) -> GraphQLError:
    """graphql-core's own errors (a syntax error, an unknown field, a limit of depth, aliases
    or tokens) carry no code: they get the one GraphQL servers use for them, and a reason, so
    that every error a client sees says what it is and that sending it again will not help."""
    extensions = error.extensions or {}
    if "code" in extensions:  # coded where it was raised, with its reason
        return error
    error.extensions = {
        "code": "GRAPHQL_VALIDATION_FAILED",
        **extensions,
        **reason_extensions(Reason.DOCUMENT_INVALID),
    }
    return error


def _refused_scalar(
    error: GraphQLError, refused: ScalarRefused, language: str, execution: Any
) -> GraphQLError:
    """A scalar's refusal (app.api.scalars) in the caller's language, with the field at fault;
    graphql-core's own words stay at the end for a developer reading the raw response."""
    field = None
    try:
        if execution is not None:
            field = refused_field(
                error,
                refused,
                execution.schema._schema,
                execution.graphql_document,
                execution.variables,
            )
    except Exception:  # naming the field is a courtesy; the refusal stands without it
        log.exception("could not name the field of a refused %s", refused.scalar)
    return GraphQLError(
        translate(refused.message_key, language, **refused.params),
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INVALID", "field": field, **reason_extensions(refused.reason)},
    )


async def shaped_stream(
    results: AsyncGenerator[Any, None], context: Any
) -> AsyncGenerator[Any, None]:
    """A subscription's results are streamed past ErrorPolicy (its on_operation sees no
    single result): without this, a resolver's NotFound would reach the client as a bare
    message key without its code, and an unexpected exception's text unmasked. A result that
    ends the caller's session (`ends_stream`) ends the stream."""
    async with aclosing(results):
        async for result in results:
            errors = getattr(result, "errors", None)
            if errors:
                result.errors = [shape_error(error, context) for error in errors]
            yield result
            if ends_stream(result):
                return  # closing `results` closes the resolver's generator: it stops listening


def ends_stream(result: Any) -> bool:
    """A streamed result saying the caller is not signed in (any more) is the stream's last:
    app.api.live.SessionRecheck turns an event of a dead session into one."""
    if getattr(result, "data", None) is not None:
        return False
    errors = getattr(result, "errors", None) or []
    return any((error.extensions or {}).get("code") == "UNAUTHENTICATED" for error in errors)
