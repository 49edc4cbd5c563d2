"""Reading the access log: per day (in the institution's timezone), who read what kind of a
child's data, when first and last that day, and how many requests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.actor import Actor
from app.core.errors import NotFound
from app.institutions.models import Child, Institution
from app.privacy.accesslog.models import AccessLogEntry
from app.privacy.accesslog.policies import may_read_child_log, visible_access_log

# Rows are grouped per day in the institution timezone (Python: the zone is per institution);
# this bounds the groups one answer holds (times ten rows).
MAX_GROUPS = 2000


@dataclass(frozen=True)
class Access:
    child_id: uuid.UUID
    user_id: uuid.UUID | None
    person_name: str
    role: str
    kind: str
    first_at: datetime
    last_at: datetime
    requests: int


@dataclass(frozen=True)
class AccessDay:
    day: date
    accesses: list[Access]


async def child_access_log(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    since: datetime,
    person_id: uuid.UUID | None = None,
) -> list[AccessDay]:
    """Who read this child's data since `since`: for its custody holders and the admins of
    its institution; NotFound for anyone else (as if the child did not exist)."""
    row = (
        await db.execute(
            select(Child.institution_id, Institution.timezone)
            .join(Institution, Institution.id == Child.institution_id)
            .where(Child.id == child_id)
        )
    ).first()
    if row is None or not may_read_child_log(
        actor, child_id=child_id, institution_id=row.institution_id
    ):
        raise NotFound()
    return await _days(
        db=db,
        actor=actor,
        timezone=row.timezone,
        institution_id=row.institution_id,
        child_id=child_id,
        since=since,
        person_id=person_id,
    )


async def institution_access_log(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    since: datetime,
    person_id: uuid.UUID | None = None,
) -> list[AccessDay]:
    """Every read of the institution's children's data since `since` (admins only), of one
    person when `person_id` is given."""
    if not actor.is_admin(institution_id):
        raise NotFound()
    timezone = await db.scalar(select(Institution.timezone).where(Institution.id == institution_id))
    if timezone is None:
        raise NotFound()
    return await _days(
        db=db,
        actor=actor,
        timezone=timezone,
        institution_id=institution_id,
        child_id=None,
        since=since,
        person_id=person_id,
    )


async def _days(
    *,
    db: AsyncSession,
    actor: Actor,
    timezone: str,
    institution_id: uuid.UUID,
    child_id: uuid.UUID | None,
    since: datetime,
    person_id: uuid.UUID | None,
) -> list[AccessDay]:
    log = AccessLogEntry
    statement = (
        select(log.accessed_at, log.child_id, log.user_id, log.role, log.kind, User.name)
        .outerjoin(User, User.id == log.user_id)
        .where(
            visible_access_log(actor),
            log.institution_id == institution_id,
            log.accessed_at >= since,
        )
        .order_by(log.accessed_at.desc())
        .limit(MAX_GROUPS * 10)
    )
    if child_id is not None:
        statement = statement.where(log.child_id == child_id)
    if person_id is not None:
        statement = statement.where(log.user_id == person_id)
    zone = ZoneInfo(timezone)
    groups: dict[date, dict[tuple[object, ...], list[datetime]]] = {}
    names: dict[tuple[object, ...], str] = {}
    for at, child, user, role, kind, name in (await db.execute(statement)).all():
        day = at.astimezone(zone).date()
        key = (child, user, role, kind)
        groups.setdefault(day, {}).setdefault(key, []).append(at)
        names[key] = name or ""
    days = []
    for day in sorted(groups, reverse=True):
        accesses = [
            Access(
                child_id=key[0],  # type: ignore[arg-type]
                user_id=key[1],  # type: ignore[arg-type]
                person_name=names[key],
                role=str(key[2]),
                kind=str(key[3]),
                first_at=min(times),
                last_at=max(times),
                requests=len(times),
            )
            for key, times in groups[day].items()
        ]
        accesses.sort(key=lambda a: (a.first_at, a.person_name, a.kind))
        days.append(AccessDay(day=day, accesses=accesses))
    return days
