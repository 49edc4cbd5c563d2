"""Queries of the access log: thin shells over service/reading.py."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry
from strawberry.types import Info

from app.api.ids import decode, encode, plain_uuid
from app.api.permissions import IsAuthenticated
from app.core.errors import NotFound
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service import reading


@strawberry.enum(description="What kind of a child's data was read.")
class ChildDataKind(Enum):
    DAY_ENTRIES = AccessKind.DAY_ENTRIES.value
    PHOTOS = AccessKind.PHOTOS.value
    PRESENCE = AccessKind.PRESENCE.value
    PICKUP = AccessKind.PICKUP.value
    ABSENCES = AccessKind.ABSENCES.value
    CONSENT = AccessKind.CONSENT.value
    CHILD_RECORD = AccessKind.CHILD_RECORD.value
    MESSAGES = AccessKind.MESSAGES.value
    EXPORT = AccessKind.EXPORT.value


@strawberry.type(description="One person's reads of one kind of a child's data on one day.")
class ChildDataAccess:
    child_id: strawberry.ID
    person_id: strawberry.ID | None = strawberry.field(description="A User; null for a device.")
    person_name: str
    role: str = strawberry.field(
        description="ADMIN, STAFF, MUNICIPALITY_ADMIN, or KIOSK / STAFF_TABLET for a device."
    )
    kind: ChildDataKind
    first_at: dt.datetime
    last_at: dt.datetime
    requests: int = strawberry.field(description="How many requests read it that day.")

    @classmethod
    def of(cls, access: reading.Access) -> ChildDataAccess:
        return cls(
            child_id=strawberry.ID(encode("Child", access.child_id)),
            person_id=strawberry.ID(str(access.user_id)) if access.user_id else None,
            person_name=access.person_name,
            role=access.role,
            kind=ChildDataKind(access.kind),
            first_at=access.first_at,
            last_at=access.last_at,
            requests=access.requests,
        )


@strawberry.type(description="A day of the access log, in the institution's timezone.")
class AccessLogDay:
    day: dt.date
    accesses: list[ChildDataAccess]

    @classmethod
    def of(cls, day: reading.AccessDay) -> AccessLogDay:
        return cls(day=day.day, accesses=[ChildDataAccess.of(a) for a in day.accesses])


@strawberry.type
class AccessLogQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Who read the child's data since `since`, per day, newest first: for "
        "the child's custody holders and the institution's admins (who may filter by "
        "`personId`, a User id); null for anyone else.",
    )
    async def child_access_log(
        self,
        info: Info,
        child_id: strawberry.ID,
        since: dt.datetime,
        person_id: strawberry.ID | None = None,
    ) -> list[AccessLogDay] | None:
        try:
            days = await reading.child_access_log(
                db=info.context.db,
                actor=await info.context.require_actor(),
                child_id=decode(child_id, "Child", field="childId"),
                since=since,
                person_id=plain_uuid(person_id, field="personId") if person_id else None,
            )
        except NotFound:
            return None
        return [AccessLogDay.of(day) for day in days]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Every read of the institution's children's data since `since` (admins), "
        "of one person when `personId` (a User id) is given; null for anyone else.",
    )
    async def institution_access_log(
        self,
        info: Info,
        institution_id: strawberry.ID,
        since: dt.datetime,
        person_id: strawberry.ID | None = None,
    ) -> list[AccessLogDay] | None:
        try:
            days = await reading.institution_access_log(
                db=info.context.db,
                actor=await info.context.require_actor(),
                institution_id=decode(institution_id, "Institution", field="institutionId"),
                since=since,
                person_id=plain_uuid(person_id, field="personId") if person_id else None,
            )
        except NotFound:
            return None
        return [AccessLogDay.of(day) for day in days]
