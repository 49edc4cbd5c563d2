"""Errors as data for mutations, top-level errors for the rest, in one place."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from contextlib import aclosing
from typing import Any, ParamSpec, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from app.core.errors import (
    Conflict,
    DomainError,
    IdempotencyKeyReused,
    InvalidCredentials,
    NotFound,
    TooManyAttempts,
    ValidationFailed,
)
from app.core.i18n import translate

log = logging.getLogger("seddel.graphql")


class Unauthenticated(GraphQLError):
    def __init__(self, language: str = "da") -> None:
        super().__init__(
            translate("unauthenticated", language), extensions={"code": "UNAUTHENTICATED"}
        )


@strawberry.interface(description="An error the user can fix, returned as data.")
class UserError:
    code: str
    message: str
    field: str | None = strawberry.field(description="The input field at fault, if one is.")


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


def as_user_error(error: DomainError, language: str) -> UserError:
    code, message, field = error.code, error.message(language), error.field
    if isinstance(error, TooManyAttempts):
        return TooManyAttemptsError(
            code=code, message=message, field=field, retry_after_seconds=error.retry_after_seconds
        )
    kinds: list[tuple[type[DomainError], type[UserError]]] = [
        (NotFound, NotFoundError),
        (IdempotencyKeyReused, IdempotencyKeyReusedError),
        (Conflict, ConflictError),
        (InvalidCredentials, InvalidCredentialsError),
        (ValidationFailed, ValidationError),
    ]
    for domain_type, api_type in kinds:
        if isinstance(error, domain_type):
            return api_type(code=code, message=message, field=field)
    return ValidationError(code=code, message=message, field=field)


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


class ErrorPolicy(SchemaExtension):
    """Domain errors outside mutations become coded errors; anything unexpected is masked
    and logged with the request id the client can quote."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not result or not result.errors:
            return
        context = self.execution_context.context
        result.errors = [shape_error(error, context) for error in result.errors]


def shape_error(error: GraphQLError, context: Any) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error
    language = getattr(context, "language", "da")
    if isinstance(original, DomainError):
        return GraphQLError(
            original.message(language),
            nodes=error.nodes,
            path=error.path,
            extensions={"code": original.code, "field": original.field},
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
        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
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
