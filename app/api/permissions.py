"""Field permissions: the context never rejects anonymous requests, these do."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from app.core.i18n import translate


class IsAuthenticated(BasePermission):
    message = translate("unauthenticated", "en")
    error_extensions = {"code": "UNAUTHENTICATED", "reason": "UNAUTHENTICATED", "retryable": False}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        actor = await info.context.actor()
        if actor is None:
            self.message = translate("unauthenticated", info.context.language)
            return False
        return True
