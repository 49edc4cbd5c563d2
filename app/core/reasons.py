"""The stable, specific reasons an operation is refused: one catalogue for every client.

A reason says *why*, in a word a program can act on (`NOT_CHECKED_IN`, `ALREADY_CHECKED_OUT`),
where the older `code` only says what kind (`CONFLICT`). A `DomainError`'s reason is its
message key in capitals, so the raise site that chooses the words chooses the reason, and
`tests/core/test_reasons.py` holds every raise site to a reason listed here. Reasons are added,
never renamed or removed: the GraphQL enum `ErrorReason` is this list, under the breaking-change
gate.

`retryable` answers one question for a client with a queue (an offline tablet): may the *same*
request, unchanged, succeed later, once time passes or another request it depends on has
arrived? If not, the client shows the message or drops the request; retrying cannot help.
"""

from __future__ import annotations

from enum import StrEnum, auto
from typing import Any


class Reason(StrEnum):
    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[Any]) -> str:
        return name  # the value is the name, as GraphQL shows it

    ABSENCE_NOT_OPEN = auto()
    ABSENCE_OVERLAPS = auto()
    ABSENCE_TOO_FAR_BACK = auto()
    ALONE_NOT_ALLOWED = auto()
    ALREADY_CHECKED_IN = auto()
    ALREADY_CHECKED_OUT = auto()
    ALREADY_MEMBER = auto()
    BIRTH_DATE_FUTURE = auto()
    BULK_KIND_NOT_ALLOWED = auto()
    CANNOT_LEAVE_SHARED_INBOX = auto()
    CHECKOUT_NOT_ESTIMATED = auto()
    CHECK_OUT_BEFORE_CHECK_IN = auto()
    CHILD_NAMED_TWICE = auto()
    CHILD_NOT_ENROLLED = auto()
    CHILD_NOT_IN_GROUP = auto()
    CHILD_WITHOUT_GUARDIANS = auto()
    CLOSED_DAY_EXISTS = auto()
    CONFIRMATION_NOT_REQUESTED = auto()
    CONFLICT = auto()
    DATETIME_WITHOUT_OFFSET = auto()
    DATE_OUT_OF_RANGE = auto()
    DOCUMENT_INVALID = auto()
    DUE_IN_PAST = auto()
    DUE_NEEDS_CONFIRMATION = auto()
    DUPLICATE_DAY = auto()
    DUPLICATE_NAME = auto()
    EDIT_WINDOW_PASSED = auto()
    ENTRY_DAY_IN_FUTURE = auto()
    ENTRY_DELETED = auto()
    ENTRY_KIND_FIXED = auto()
    EVENT_ID_REUSED = auto()
    EVENT_IN_FUTURE = auto()
    EVENT_TOO_OLD = auto()
    EXCEPTION_KIND_DIFFERS = auto()
    FILE_EMPTY = auto()
    FILE_TOO_LARGE = auto()
    FILE_TYPE_MISMATCH = auto()
    FORBIDDEN = auto()
    GROUP_HAS_CHILDREN = auto()
    GROUP_INACTIVE = auto()
    GUARDIANS_MAY_NOT_MESSAGE_GUARDIANS = auto()
    GUARDIAN_NOT_OF_CHILD = auto()
    IDEMPOTENCY_KEY_LENGTH = auto()
    IDEMPOTENCY_KEY_REUSED = auto()
    IMAGE_TOO_MANY_PIXELS = auto()
    INSTITUTION_CLOSED = auto()
    INTERNAL_ERROR = auto()
    INVALID = auto()
    INVALID_ABSENCE_KIND = auto()
    INVALID_ACCESS = auto()
    INVALID_CHARACTERS = auto()
    INVALID_CHECKOUT_TIME = auto()
    INVALID_CONSENT_LEVEL = auto()
    INVALID_CREDENTIALS = auto()
    INVALID_CURSOR = auto()
    INVALID_DATE = auto()
    INVALID_DATETIME = auto()
    INVALID_DEVICE_ROLE = auto()
    INVALID_EMAIL = auto()
    INVALID_ENTRY_KIND = auto()
    INVALID_ENTRY_VALUE = auto()
    INVALID_LANGUAGE = auto()
    INVALID_LEAVE_MODE = auto()
    INVALID_OPENING_HOURS = auto()
    INVALID_PAGE_SIZE = auto()
    INVALID_PHONE = auto()
    INVALID_PIN = auto()
    INVALID_PUSH_PLATFORM = auto()
    INVALID_PUSH_SUBSCRIPTION = auto()
    INVALID_PUSH_TOKEN = auto()
    INVALID_REPORT_PERIOD = auto()
    INVALID_SETTING = auto()
    INVALID_TIME = auto()
    INVALID_TIMEZONE = auto()
    INVITATION_CLOSED = auto()
    INVITATION_INVALID = auto()
    KIOSK_CODE_EXPIRED = auto()
    KIOSK_CODE_INVALID = auto()
    KIOSK_CODE_USED = auto()
    LATER_PRESENCE_EXISTS = auto()
    MEDICATION_CONSENT_NOT_IN_FORCE = auto()
    MESSAGE_EMPTY = auto()
    MESSAGE_TOO_LONG = auto()
    NAIVE_TIME = auto()
    NOT_AN_IMAGE = auto()
    NOT_A_PUBLIC_HOLIDAY = auto()
    NOT_CHECKED_IN = auto()
    NOT_FOUND = auto()
    ONLY_GUARDIANS_CONFIRM = auto()
    PASSWORD_TOO_SHORT = auto()
    PERIOD_ORDER = auto()
    PERSISTED_QUERY_HASH_MISMATCH = auto()
    PERSISTED_QUERY_NOT_FOUND = auto()
    PHOTO_CONSENT_NONE = auto()
    PHOTO_DATE_FUTURE = auto()
    PICKUP_NOT_AUTHORISED = auto()
    PICKUP_PERSON_NOT_OF_CHILD = auto()
    PICKUP_PERSON_NOT_VALID = auto()
    PICKUP_PERSON_REQUIRED = auto()
    PLAN_AFTER_CUTOFF = auto()
    PLAN_ARRIVAL_AFTER_PICKUP = auto()
    PLAN_DAY_CLOSED = auto()
    PLAN_DAY_OR_WEEKDAY = auto()
    PLAN_DAY_PAST = auto()
    PLAN_OUTSIDE_HOURS = auto()
    PLAN_RANGE_TOO_LONG = auto()
    PLAN_WEEKDAY_CLOSED = auto()
    PUSH_ENDPOINT_REFUSED = auto()
    QUERY_TOO_COSTLY = auto()
    QUIET_HOURS_EMPTY = auto()
    RANGE_TOO_LONG = auto()
    RECIPIENTS_REQUIRED = auto()
    RECIPIENT_NO_ACCESS = auto()
    REQUIRED = auto()
    SECOND_FACTOR_ALREADY_ENROLLED = auto()
    SECOND_FACTOR_CHALLENGE_INVALID = auto()
    SECOND_FACTOR_ENROLMENT_REQUIRED = auto()
    SECOND_FACTOR_NOT_ENROLLED = auto()
    SECOND_FACTOR_REQUIRED = auto()
    SENSITIVE_NOT_FORWARDED = auto()
    SETTING_OUT_OF_RANGE = auto()
    SLEEP_ENDS_BEFORE_START = auto()
    SURVEY_CLOSED = auto()
    SURVEY_DAY_OUTSIDE = auto()
    SURVEY_DEADLINE_ORDER = auto()
    SURVEY_TOO_LONG = auto()
    THREAD_LEFT = auto()
    TIME_IN_FUTURE = auto()
    TIME_NOT_ON_DAY = auto()
    TIME_WITHOUT_ZONE = auto()
    TIME_WITH_OFFSET = auto()
    TOO_LONG = auto()
    TOO_MANY = auto()
    TOO_MANY_ATTACHMENTS = auto()
    TOO_MANY_ATTEMPTS = auto()
    TOO_MANY_CHILDREN = auto()
    TRUSTED_DOCUMENT_REQUIRED = auto()
    UNAUTHENTICATED = auto()
    UNDO_NOT_POSSIBLE = auto()
    UNDO_TOO_LATE = auto()
    UNKNOWN_ENTRY_DETAIL = auto()
    UNKNOWN_UPLOAD_PURPOSE = auto()
    UNSUPPORTED_FILE_TYPE = auto()
    WRONG_PASSWORD = auto()
    WRONG_PIN = auto()
    # Issue 13, password reset and profile: after the alphabetical list so parallel
    # branches append without colliding.
    EMAIL_TAKEN = auto()
    EMAIL_UNCHANGED = auto()
    PASSWORD_COMMON = auto()
    PASSWORD_DATE = auto()
    PASSWORD_GUESSABLE = auto()
    PASSWORD_KEYBOARD_PATTERN = auto()
    PASSWORD_PERSONAL = auto()
    PASSWORD_REPEATS = auto()
    PASSWORD_SEQUENCE = auto()
    TOKEN_INVALID = auto()
    WRONG_SECOND_FACTOR_CODE = auto()
    # Federated login (issue 13).
    CPR_NOT_ALLOWED = auto()
    IDENTITY_ALREADY_LINKED = auto()
    INVALID_ISSUER = auto()
    INVALID_PROVIDER_SLUG = auto()
    INVALID_SCOPES = auto()
    LOGIN_CODE_INVALID = auto()
    OIDC_ACCOUNT_UNKNOWN = auto()
    OIDC_CODE_REFUSED = auto()
    OIDC_PROVIDER_NOT_FOR_INVITATION = auto()
    OIDC_PROVIDER_REFUSED = auto()
    OIDC_PROVIDER_UNAVAILABLE = auto()
    OIDC_STATE_INVALID = auto()
    OIDC_SUBJECT_MISSING = auto()
    OIDC_TOKEN_INVALID = auto()
    PROVIDER_OF_ANOTHER_MUNICIPALITY = auto()
    RETURN_URI_NOT_ALLOWED = auto()
    # Legal holds and retention (issue 15).
    LEGAL_HOLD_ALREADY_RELEASED = auto()
    LEGAL_HOLD_ONE_SUBJECT = auto()
    DATA_EXPORT_RUNNING = auto()
    # Issue 16, gaps found in daily use.
    CONFIRMATION_NEEDS_CUSTODY = auto()
    CHILDREN_REFUSED = auto()
    ONE_CHILD_OR_SIBLINGS = auto()
    TOO_MANY_SIBLINGS = auto()
    # Issue 16, the yearly move-up and leaving.
    MOVE_ALREADY_IN_GROUP = auto()
    MOVE_ALREADY_PLANNED = auto()
    MOVE_CHILD_TWICE = auto()
    MOVE_DATE_NOT_FUTURE = auto()
    MOVE_NO_LONGER_CANCELLABLE = auto()
    MOVE_ONE_CUT_OFF = auto()
    # Roster import (issue 16).
    ROSTER_COLUMNS_MISSING = auto()
    ROSTER_DATE_INVALID = auto()
    ROSTER_EMPTY = auto()
    ROSTER_EXTERNAL_ID_TWICE = auto()
    ROSTER_GROUP_UNKNOWN = auto()
    ROSTER_GUARDIAN_TWICE = auto()
    ROSTER_IMPORT_EXPIRED = auto()
    ROSTER_IMPORT_HAS_ERRORS = auto()
    ROSTER_IMPORT_STALE = auto()
    ROSTER_MODE_INVALID = auto()
    ROSTER_NOT_CSV = auto()
    ROSTER_NOT_UTF8 = auto()
    ROSTER_TOO_MANY_ROWS = auto()
    ROSTER_YES_NO_INVALID = auto()
    # Part-day closing (issue 16).
    CLOSES_BEFORE_OPENING = auto()


GENERIC = frozenset({Reason.INVALID, Reason.CONFLICT})
"""Fallbacks of the base classes: a raise site never ends with one (a test holds that)."""

RETRYABLE = frozenset(
    {
        # After `retryAfterSeconds`.
        Reason.TOO_MANY_ATTEMPTS,
        # A check-out that overtook its check-in, or a check-in sent before the check-out in
        # between: they succeed once the other event of the tablet's queue has arrived.
        Reason.NOT_CHECKED_IN,
        Reason.LATER_PRESENCE_EXISTS,
        # A tablet whose clock runs ahead: the same event is accepted once its time has come.
        Reason.EVENT_IN_FUTURE,
        # Not the request's fault: a retry may succeed (quote the request id if it does not).
        Reason.INTERNAL_ERROR,
        # The identity provider could not be reached or answered out of the protocol.
        Reason.OIDC_PROVIDER_UNAVAILABLE,
        # Another export of the person's is still being built: ask again once it is ready.
        Reason.DATA_EXPORT_RUNNING,
    }
)


def reason_for(message_key: str, fallback: Reason) -> Reason:
    """The reason named by a message key, or `fallback` for a key without one."""
    return Reason.__members__.get(message_key.upper(), fallback)


def retryable(reason: Reason) -> bool:
    return reason in RETRYABLE
