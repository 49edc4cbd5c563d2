"""Use cases of institutions: the actor's memberships, reads, and administration by admins."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Boolean, String, Uuid, cast, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuthSession, Device, User
from app.actor import Actor, ChildAccess, DeviceAccess
from app.db import TENANT_IDS, TENANT_USER, new_id, rescope, write_transaction
from app.errors import Conflict, NotFound, ValidationFailed
from app.institutions.models import (
    AdminMembership,
    Child,
    ClosedDay,
    Group,
    GuardianLink,
    Institution,
    Municipality,
    MunicipalityAdmin,
    StaffGroup,
    StaffMembership,
)
from app.institutions.policies import require_admin, visible_children, visible_groups
from app.messaging import membership as messaging_membership
from app.pagination import Page, paginate

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


async def load_actor(*, db: AsyncSession, user: User, session: AuthSession | None) -> Actor:
    """Everything the rules need to know about who asks: two queries, whatever the family."""
    await rescope(db, institution_ids=(), user_id=user.id)  # own membership rows only
    memberships = (await db.execute(_memberships(user.id))).all()
    admin_of = {row.institution_id for row in memberships if row.kind == "admin"}
    staff_rows = [row for row in memberships if row.kind == "staff"]
    links = [row for row in memberships if row.kind == "guardian"]
    municipality_ids = {row.ref_id for row in memberships if row.kind == "municipality"}
    staff_of = {row.institution_id for row in staff_rows}
    tenants = admin_of | staff_of | {link.institution_id for link in links}
    await rescope(db, institution_ids=tenants, user_id=user.id)
    details = _details(
        staff_ids=[row.ref_id for row in staff_rows],
        child_ids=[link.ref_id for link in links],
        municipality_ids=municipality_ids,
    )
    rows = (await db.execute(details)).all() if details is not None else []
    groups_staffed = {row.id for row in rows if row.kind == "group"}
    child_groups = {row.id: row.group_id for row in rows if row.kind == "child"}
    municipality_institutions = {row.id for row in rows if row.kind == "institution"}
    if municipality_institutions:
        await rescope(db, institution_ids=tenants | municipality_institutions, user_id=user.id)
    device = None
    if session is not None and session.device_id is not None:
        device = await _device(db, session)
        if device is None:
            return _nobody(user, session)
        if session.kind == "device":
            # The device itself: its institution's scope, and no role at all.
            await rescope(db, institution_ids={device.institution_id}, user_id=user.id)
    return Actor(
        user_id=user.id,
        name=user.name,
        email=user.email,
        language=user.preferred_language,
        session_id=session.id if session else None,
        session_kind=session.kind if session else "user",
        admin_of=frozenset(admin_of),
        staff_of=frozenset(staff_of),
        groups_staffed=frozenset(groups_staffed),
        municipality_admin_of=frozenset(municipality_ids),
        municipality_institutions=frozenset(municipality_institutions),
        children={
            link.ref_id: ChildAccess(
                child_id=link.ref_id,
                institution_id=link.institution_id,
                group_id=child_groups.get(link.ref_id),
                has_custody=bool(link.custody),
                access=link.access,
            )
            for link in links
        },
        device=device,
    )


async def _device(db: AsyncSession, session: AuthSession) -> DeviceAccess | None:
    """The live device a session belongs to (its own row is visible to the device's user)."""
    row = (
        await db.execute(
            select(Device.id, Device.institution_id, Device.role).where(
                Device.id == session.device_id, Device.revoked_at.is_(None)
            )
        )
    ).first()
    if row is None:
        return None
    return DeviceAccess(device_id=row.id, institution_id=row.institution_id, role=row.role)


def _nobody(user: User, session: AuthSession) -> Actor:
    return Actor(
        user_id=user.id,
        name=user.name,
        email=user.email,
        language=user.preferred_language,
        session_id=session.id,
        session_kind=session.kind,
    )


def _typed_null(type_: Any) -> Any:
    return cast(null(), type_)


def _memberships(user_id: uuid.UUID) -> Any:
    """Every role of a user in one statement: (kind, institution_id, ref_id, custody, access)."""
    return union_all(
        select(
            literal("admin").label("kind"),
            AdminMembership.institution_id.label("institution_id"),
            _typed_null(Uuid).label("ref_id"),
            _typed_null(Boolean).label("custody"),
            _typed_null(String).label("access"),
        ).where(AdminMembership.user_id == user_id, AdminMembership.is_active.is_(True)),
        select(
            literal("staff"),
            StaffMembership.institution_id,
            StaffMembership.id,
            _typed_null(Boolean),
            _typed_null(String),
        ).where(StaffMembership.user_id == user_id, StaffMembership.is_active.is_(True)),
        select(
            literal("guardian"),
            GuardianLink.institution_id,
            GuardianLink.child_id,
            GuardianLink.has_custody,
            GuardianLink.access,
        ).where(GuardianLink.user_id == user_id, GuardianLink.access != "none"),
        select(
            literal("municipality"),
            _typed_null(Uuid),
            MunicipalityAdmin.municipality_id,
            _typed_null(Boolean),
            _typed_null(String),
        ).where(MunicipalityAdmin.user_id == user_id),
    )


def _details(
    *, staff_ids: list[uuid.UUID], child_ids: list[uuid.UUID], municipality_ids: set[uuid.UUID]
) -> Any:
    """Groups staffed, children's groups and municipality institutions: (kind, id, group_id)."""
    parts = []
    if staff_ids:
        parts.append(
            select(
                literal("group").label("kind"),
                StaffGroup.group_id.label("id"),
                _typed_null(Uuid).label("group_id"),
            ).where(StaffGroup.staff_id.in_(staff_ids))
        )
    if child_ids:
        parts.append(
            select(
                literal("child").label("kind"),
                Child.id.label("id"),
                Child.group_id.label("group_id"),
            ).where(Child.id.in_(child_ids))
        )
    if municipality_ids:
        parts.append(
            select(
                literal("institution").label("kind"),
                Institution.id.label("id"),
                _typed_null(Uuid).label("group_id"),
            ).where(Institution.municipality_id.in_(municipality_ids))
        )
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union_all(*parts)


# --- reads -----------------------------------------------------------------------------


async def groups_of_institution(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, include_inactive: bool = False
) -> list[Group]:
    """The institution's groups this actor may see, by name."""
    statement = select(Group).where(Group.institution_id == institution_id, visible_groups(actor))
    if not include_inactive:
        statement = statement.where(Group.is_active.is_(True))
    return list((await db.scalars(statement.order_by(Group.name, Group.id))).all())


async def children_page(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    group_id: uuid.UUID | None = None,
    first: int | None,
    after: str | None,
) -> Page[Child]:
    """Children of an institution (or one of its groups), alphabetically, as far as visible."""
    statement = select(Child).where(Child.institution_id == institution_id, visible_children(actor))
    if group_id is not None:
        statement = statement.where(Child.group_id == group_id)
    return await paginate(
        db,
        statement,
        order_by=[Child.last_name, Child.first_name, Child.id],
        first=first,
        after=after,
    )


# --- validation helpers ----------------------------------------------------------------


def clean_name(value: str, field: str, max_length: int = 100) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValidationFailed("required", field=field)
    if len(cleaned) > max_length:
        raise ValidationFailed("too_long", field=field, max=max_length)
    return cleaned


def _opening_hours(value: dict[str, list[str]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for day, span in value.items():
        if day not in WEEKDAYS or len(span) != 2:
            raise ValidationFailed("invalid_opening_hours", field="openingHours")
        try:
            opens, closes = time.fromisoformat(span[0]), time.fromisoformat(span[1])
        except ValueError as exc:
            raise ValidationFailed("invalid_opening_hours", field="openingHours") from exc
        if closes <= opens:
            raise ValidationFailed("invalid_opening_hours", field="openingHours")
        result[day] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
    return result


async def _today(db: AsyncSession, institution_id: uuid.UUID) -> date:
    """ "Today" where the institution is, not where the server is."""
    institution: Institution = await get_row(db, Institution, institution_id, "institutionId")
    return datetime.now(ZoneInfo(institution.timezone)).date()


async def get_row(db: AsyncSession, model: Any, id_: uuid.UUID, field: str) -> Any:
    row = await db.get(model, id_)
    if row is None:
        raise NotFound(field=field)
    return row


async def _admin_group(db: AsyncSession, actor: Actor, group_id: uuid.UUID, field: str) -> Group:
    group: Group = await get_row(db, Group, group_id, field)
    require_admin(actor, group.institution_id, field=field)
    return group


async def admin_child(db: AsyncSession, actor: Actor, child_id: uuid.UUID) -> Child:
    child: Child = await get_row(db, Child, child_id, "childId")
    require_admin(actor, child.institution_id, field="childId")
    return child


async def guardian_reach_changed(
    db: AsyncSession,
    institution_id: uuid.UUID,
    child_ids: list[uuid.UUID],
    user_id: uuid.UUID | None = None,
) -> None:
    """After a child moved or left, or a guardian link ended or lost access, in the same
    transaction: guardians who took part in message threads only through these children
    (or their group) receive nothing new there; what they had stays readable."""
    await db.flush()
    await messaging_membership.end_lapsed_participation(
        db,
        institution_id=institution_id,
        today=await _today(db, institution_id),
        child_ids=child_ids,
        user_id=user_id,
    )


async def active_group_in(
    db: AsyncSession, institution_id: uuid.UUID, group_id: uuid.UUID, field: str
) -> Group:
    group = await db.get(Group, group_id)
    if group is None or group.institution_id != institution_id:
        raise NotFound(field=field)
    if not group.is_active:
        raise ValidationFailed("group_inactive", field=field)
    return group


# --- administration: institution and groups ---------------------------------------------


async def update_institution(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    name: str | None = None,
    timezone: str | None = None,
    opening_hours: dict[str, list[str]] | None = None,
) -> Institution:
    """Rename an institution, change its time zone or opening hours (admins)."""
    require_admin(actor, institution_id, field="institutionId")
    async with write_transaction(db):
        institution: Institution = await get_row(db, Institution, institution_id, "institutionId")
        if name is not None:
            institution.name = clean_name(name, "name", 200)
        if timezone is not None:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValidationFailed("invalid_timezone", field="timezone") from exc
            institution.timezone = timezone
        if opening_hours is not None:
            institution.opening_hours = _opening_hours(opening_hours)
    return institution


async def closed_days(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, since: date | None
) -> list[ClosedDay]:
    """The institution's closed days from `since` (default: its today) on, for its people."""
    if institution_id not in actor.institution_ids:
        return []
    since = since or await _today(db, institution_id)
    rows = await db.scalars(
        select(ClosedDay)
        .where(ClosedDay.institution_id == institution_id, ClosedDay.day >= since)
        .order_by(ClosedDay.day)
    )
    return list(rows.all())


async def add_closed_day(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, day: date, reason: str = ""
) -> ClosedDay:
    """Mark a day closed (a planning day, the days between Christmas and New Year)."""
    require_admin(actor, institution_id, field="institutionId")
    async with write_transaction(db):
        clash = await db.scalar(
            select(ClosedDay.id).where(
                ClosedDay.institution_id == institution_id, ClosedDay.day == day
            )
        )
        if clash is not None:
            raise Conflict("closed_day_exists", field="day")
        closed = ClosedDay(institution_id=institution_id, day=day, reason=reason.strip()[:200])
        db.add(closed)
    return closed


async def remove_closed_day(*, db: AsyncSession, actor: Actor, closed_day_id: uuid.UUID) -> None:
    """Open a day again."""
    async with write_transaction(db):
        closed: ClosedDay = await get_row(db, ClosedDay, closed_day_id, "closedDayId")
        require_admin(actor, closed.institution_id, field="closedDayId")
        await db.delete(closed)


async def create_group(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, name: str
) -> Group:
    """A new group (stue) in the admin's institution; names are unique among active groups."""
    require_admin(actor, institution_id, field="institutionId")
    cleaned = clean_name(name, "name")
    async with write_transaction(db):
        await _ensure_unique_group_name(db, institution_id, cleaned, None)
        group = Group(institution_id=institution_id, name=cleaned)
        db.add(group)
    return group


async def _ensure_unique_group_name(
    db: AsyncSession, institution_id: uuid.UUID, name: str, except_id: uuid.UUID | None
) -> None:
    clash = await db.scalar(
        select(Group.id).where(
            Group.institution_id == institution_id,
            func.lower(Group.name) == name.lower(),
            Group.is_active.is_(True),
            Group.id != except_id if except_id else Group.id.is_not(None),
        )
    )
    if clash is not None:
        raise Conflict("duplicate_name", field="name")


async def update_group(*, db: AsyncSession, actor: Actor, group_id: uuid.UUID, name: str) -> Group:
    """Rename a group."""
    cleaned = clean_name(name, "name")
    async with write_transaction(db):
        group = await _admin_group(db, actor, group_id, "groupId")
        await _ensure_unique_group_name(db, group.institution_id, cleaned, group.id)
        group.name = cleaned
    return group


async def deactivate_group(*, db: AsyncSession, actor: Actor, group_id: uuid.UUID) -> Group:
    """Close a group; its children must have been moved first."""
    async with write_transaction(db):
        group = await _admin_group(db, actor, group_id, "groupId")
        remaining = await db.scalar(
            select(func.count())
            .select_from(Child)
            .where(Child.group_id == group.id, Child.active_until.is_(None))
        )
        if remaining:
            raise Conflict("group_has_children", field="groupId", count=remaining)
        group.is_active = False
    return group


# --- administration: children ----------------------------------------------------------


async def create_child(
    *,
    db: AsyncSession,
    actor: Actor,
    group_id: uuid.UUID,
    first_name: str,
    last_name: str,
    birth_date: date,
    active_from: date | None = None,
    is_protected: bool = False,
) -> Child:
    """Enrol a child in a group of the admin's institution."""
    async with write_transaction(db):
        group = await _admin_group(db, actor, group_id, "groupId")
        if not group.is_active:
            raise ValidationFailed("group_inactive", field="groupId")
        today = await _today(db, group.institution_id)
        if birth_date > today:
            raise ValidationFailed("birth_date_future", field="birthDate")
        child = Child(
            institution_id=group.institution_id,
            group_id=group_id,
            first_name=clean_name(first_name, "firstName"),
            last_name=clean_name(last_name, "lastName"),
            birth_date=birth_date,
            active_from=active_from or today,
            is_protected=is_protected,
        )
        db.add(child)
    return child


async def update_child(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    first_name: str | None = None,
    last_name: str | None = None,
    birth_date: date | None = None,
    is_protected: bool | None = None,
) -> Child:
    """Correct a child's names, birth date or protection."""
    async with write_transaction(db):
        child = await admin_child(db, actor, child_id)
        today = await _today(db, child.institution_id)
        if first_name is not None:
            child.first_name = clean_name(first_name, "firstName")
        if last_name is not None:
            child.last_name = clean_name(last_name, "lastName")
        if birth_date is not None:
            if birth_date > today:
                raise ValidationFailed("birth_date_future", field="birthDate")
            child.birth_date = birth_date
        if is_protected is not None:
            child.is_protected = is_protected
    return child


async def move_child(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, group_id: uuid.UUID
) -> Child:
    """Move a child to another group of the same institution."""
    async with write_transaction(db):
        child = await admin_child(db, actor, child_id)
        await active_group_in(db, child.institution_id, group_id, "groupId")
        if child.group_id != group_id:
            child.group_id = group_id
            await guardian_reach_changed(db, child.institution_id, [child.id])
    return child


async def deactivate_child(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID, last_day: date
) -> Child:
    """End a child's enrolment on `last_day` (the history stays)."""
    async with write_transaction(db):
        child = await admin_child(db, actor, child_id)
        if last_day < child.active_from:
            raise ValidationFailed("period_order", field="lastDay")
        child.active_until = last_day
        # A last day already past ends now; a later one is ended by the hourly job.
        await guardian_reach_changed(db, child.institution_id, [child.id])
    return child


# --- set-up (the system, seeding and municipality administration) ------------------------


async def create_municipality(*, db: AsyncSession, name: str) -> Municipality:
    """System use: a municipality that owns institutions."""
    async with write_transaction(db):
        municipality = Municipality(name=clean_name(name, "name", 200))
        db.add(municipality)
    return municipality


async def create_institution(
    *,
    db: AsyncSession,
    municipality_id: uuid.UUID,
    name: str,
    kind: str = "",
    opening_hours: dict[str, list[str]] | None = None,
    institution_id: uuid.UUID | None = None,
) -> Institution:
    """System use: a new tenant. The session's scope is widened to it so RLS admits the row."""
    institution = Institution(
        id=institution_id or new_id(),
        municipality_id=municipality_id,
        name=clean_name(name, "name", 200),
        kind=kind,
        opening_hours=_opening_hours(opening_hours or {}),
        settings={},
    )
    scope_ids = set(db.info.get(TENANT_IDS, frozenset())) | {institution.id}
    await rescope(db, institution_ids=scope_ids, user_id=db.info.get(TENANT_USER))
    async with write_transaction(db):
        db.add(institution)
    return institution


async def grant_admin(
    *, db: AsyncSession, institution_id: uuid.UUID, user_id: uuid.UUID
) -> AdminMembership:
    """System use: make a user the administrator of an institution."""
    async with write_transaction(db):
        membership = AdminMembership(institution_id=institution_id, user_id=user_id)
        db.add(membership)
    return membership
