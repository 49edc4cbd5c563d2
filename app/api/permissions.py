"""Field permissions: the context never rejects anonymous requests, these do."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from app.core.i18n import translate

UNAUTHENTICATED = {"code": "UNAUTHENTICATED", "reason": "UNAUTHENTICATED", "retryable": False}
# A session that may only enrol a second factor asked for anything else.
ENROLMENT_REQUIRED = {
    "code": "FORBIDDEN",
    "reason": "SECOND_FACTOR_ENROLMENT_REQUIRED",
    "retryable": False,
}


class IsSignedIn(BasePermission):
    """A live session of any kind, one that may only enrol a second factor included: for
    the enrolment operations (and logging out)."""

    message = translate("unauthenticated", "en")
    error_extensions = UNAUTHENTICATED

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        actor = await info.context.actor()
        if actor is None:
            self.message = translate("unauthenticated", info.context.language)
            return False
        return True


class IsAuthenticated(BasePermission):
    """A live session that may do what its actor may: not one that must enrol first."""

    message = translate("unauthenticated", "en")
    error_extensions = UNAUTHENTICATED

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        actor = await info.context.actor()
        if actor is None:
            self.message = translate("unauthenticated", info.context.language)
            self.error_extensions = UNAUTHENTICATED
            return False
        if actor.may_only_enrol:
            self.message = translate("second_factor_enrolment_required", info.context.language)
            self.error_extensions = ENROLMENT_REQUIRED
            return False
        return True
