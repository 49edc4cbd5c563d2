"""Domain errors: what a user can fix, raised by services and mapped to GraphQL in one place."""

from __future__ import annotations

from typing import Any

from app.core.i18n import translate
from app.core.reasons import Reason, reason_for, retryable


class DomainError(Exception):
    """Base of every error a service raises on purpose. `code` is the kind (stable, coarse);
    `reason` is the specific, stable why: the message key in capitals (app.core.reasons), so
    the raise site that picks the words picks the reason; `retryable` follows from it."""

    code = "INVALID"
    fallback_reason = Reason.INVALID

    def __init__(self, message_key: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message_key)
        self.message_key = message_key
        self.field = field
        self.params = params
        self.reason = reason_for(message_key, self.fallback_reason)

    @property
    def retryable(self) -> bool:
        return retryable(self.reason)

    def message(self, language: str) -> str:
        return translate(self.message_key, language, **self.params)


class ValidationFailed(DomainError):
    code = "INVALID"


class NotFound(DomainError):
    """Also what "not yours" looks like: existence is never revealed to strangers."""

    code = "NOT_FOUND"
    fallback_reason = Reason.NOT_FOUND

    def __init__(self, message_key: str = "not_found", *, field: str | None = None, **params: Any):
        super().__init__(message_key, field=field, **params)


class Conflict(DomainError):
    code = "CONFLICT"
    fallback_reason = Reason.CONFLICT


class ChildrenRefused(DomainError):
    """A call for several children (siblings) refused for some of them: `refusals` holds the
    position in the call's list of each refused child and why. Such a call is atomic: nothing
    of it was applied, for any child, so the client resends it without the refused ones (or
    fixed) and loses nothing."""

    code = "INVALID"

    def __init__(self, refusals: list[tuple[int, DomainError]], *, field: str) -> None:
        super().__init__("children_refused", field=field, count=len(refusals))
        self.refusals = refusals


class IdempotencyKeyReused(Conflict):
    """A retry's idempotency key was first used for another operation or other content: the
    client made one key for two different things, and no replay can answer both."""

    code = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self, *, field: str = "idempotencyKey") -> None:
        super().__init__("idempotency_key_reused", field=field)


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"
    fallback_reason = Reason.INVALID_CREDENTIALS

    def __init__(self, message_key: str = "invalid_credentials", *, field: str | None = None):
        super().__init__(message_key, field=field)


class TooManyAttempts(DomainError):
    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, retry_after_seconds: int) -> None:
        minutes = max(1, (retry_after_seconds + 59) // 60)
        super().__init__("too_many_attempts", minutes=minutes)
        self.retry_after_seconds = retry_after_seconds


class InvalidToken(DomainError):
    """A single-use link's token that is unknown, used, expired or superseded: one answer for
    all of them, so the error tells nothing about which."""

    code = "INVALID_TOKEN"
    fallback_reason = Reason.TOKEN_INVALID

    def __init__(self, message_key: str = "token_invalid", *, field: str | None = "token"):
        super().__init__(message_key, field=field)
