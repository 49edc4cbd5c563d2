"""The GraphQL shape of "was each recipient reached?", shared by the slices that show it
(an announcement's, a child sent home's): plumbing, no slice's rules."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry


@strawberry.enum
class ReachStatus(Enum):
    REACHED = "reached"
    QUEUED = "queued"
    NOT_REACHED = "not_reached"
    OFF = "off"


@strawberry.type
class NotificationReach:
    """Whether a notification arrived on each channel (a device's provider or the mail server
    accepted it), never whether it was read."""

    name: str
    push: ReachStatus
    email: ReachStatus
    sms: ReachStatus

    @classmethod
    def of(cls, reach: Any) -> NotificationReach:
        return cls(
            name=reach.name,
            push=ReachStatus(reach.of("push")),
            email=ReachStatus(reach.of("email")),
            sms=ReachStatus(reach.of("sms")),
        )
