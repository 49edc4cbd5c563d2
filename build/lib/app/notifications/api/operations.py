"""GraphQL surface of notifications: a user's own notification settings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Union

import strawberry
from strawberry.types import Info

from app.api.errors import ValidationError, errors_as_data
from app.api.permissions import IsAuthenticated
from app.notifications.service import preferences


@strawberry.type
class QuietHours:
    start: dt.time
    end: dt.time


@strawberry.type
class NotificationSettings:
    push_enabled: bool
    email_digest_enabled: bool = strawberry.field(
        description="E-mails are digests with the sender and a link, never the text."
    )
    quiet_hours: QuietHours | None = strawberry.field(
        description="Push waits until they end; local times, may span midnight."
    )
    timezone: str | None = strawberry.field(
        description="Of the quiet hours; null: the institution's timezone."
    )

    @classmethod
    def of(cls, prefs: preferences.Preferences) -> NotificationSettings:
        quiet = (
            QuietHours(start=prefs.quiet_start, end=prefs.quiet_end)
            if prefs.quiet_start is not None and prefs.quiet_end is not None
            else None
        )
        return cls(
            push_enabled=prefs.push_enabled,
            email_digest_enabled=prefs.email_digest_enabled,
            quiet_hours=quiet,
            timezone=prefs.timezone,
        )


@strawberry.input
class QuietHoursInput:
    start: dt.time
    end: dt.time


@strawberry.input
class NotificationSettingsInput:
    push_enabled: bool | None = None
    email_digest_enabled: bool | None = None
    quiet_hours: QuietHoursInput | None = None
    clear_quiet_hours: bool = False
    timezone: str | None = strawberry.field(
        default=None, description="An IANA zone; an empty string goes back to the institution's."
    )


NotificationSettingsResult = Annotated[
    Union[NotificationSettings, ValidationError], strawberry.union("NotificationSettingsResult")
]


@strawberry.type
class NotificationQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Your own settings.")
    async def notification_settings(self, info: Info) -> NotificationSettings:
        prefs = await preferences.my_preferences(
            db=info.context.db, actor=await info.context.require_actor()
        )
        return NotificationSettings.of(prefs)


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Your own settings.")
    @errors_as_data
    async def update_notification_settings(
        self, info: Info, input: NotificationSettingsInput
    ) -> NotificationSettingsResult:
        prefs = await preferences.update_preferences(
            db=info.context.db,
            actor=await info.context.require_actor(),
            push_enabled=input.push_enabled,
            email_digest_enabled=input.email_digest_enabled,
            quiet_hours=(input.quiet_hours.start, input.quiet_hours.end)
            if input.quiet_hours
            else None,
            clear_quiet_hours=input.clear_quiet_hours,
            timezone=input.timezone,
        )
        return NotificationSettings.of(prefs)
