"""Use cases of an institution's people: staff and guardian links, managed by its admins."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.service import auth as accounts
from app.accounts.service import invitations
from app.accounts.service.phones import e164
from app.config import Settings
from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.values import clean_name
from app.db import write_transaction
from app.institutions.models import (
    ACCESS_LEVELS,
    AdminMembership,
    GuardianLink,
    StaffGroup,
    StaffMembership,
)
from app.institutions.policies import require_admin
from app.institutions.service.lookups import (
    active_group_in,
    admin_child,
    get_row,
    guardian_reach_changed,
)

# --- administration: staff -------------------------------------------------------------


async def _user_for(
    db: AsyncSession, settings: Settings, *, email: str, name: str, phone: str | None
) -> User:
    """The person behind an email, created on first use (they set a password later). The
    phone is checked either way: a bad number is refused, not dropped."""
    phone = e164(phone)
    existing = await accounts.find_user_by_email(db=db, email=email)
    if existing is not None:
        return existing
    return await accounts.create_user(db=db, settings=settings, name=name, email=email, phone=phone)


async def _groups_in(
    db: AsyncSession, institution_id: uuid.UUID, group_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    for group_id in set(group_ids):
        await active_group_in(db, institution_id, group_id, "groupIds")
    return list(dict.fromkeys(group_ids))


async def add_staff(
    *,
    db: AsyncSession,
    settings: Settings,
    actor: Actor,
    institution_id: uuid.UUID,
    email: str,
    name: str,
    title: str = "",
    group_ids: list[uuid.UUID] | None = None,
    phone: str | None = None,
    tell: bool = True,
) -> StaffMembership:
    """Employ a person (found or created by email) in the admin's institution; `tell`: invite
    them, or tell them when they have a password (the demo seeder does neither)."""
    require_admin(actor, institution_id, field="institutionId")
    async with write_transaction(db):
        user = await _user_for(
            db, settings, email=email, name=clean_name(name, "name", 200), phone=phone
        )
        staff = await db.scalar(
            select(StaffMembership).where(
                StaffMembership.institution_id == institution_id,
                StaffMembership.user_id == user.id,
            )
        )
        if staff is not None and staff.is_active:
            raise Conflict("already_member", field="email")
        if staff is None:
            staff = StaffMembership(institution_id=institution_id, user_id=user.id)
            db.add(staff)
        staff.is_active = True
        staff.title = title.strip()[:100]
        await db.flush()
        await _set_staff_groups(db, staff, await _groups_in(db, institution_id, group_ids or []))
        if tell:
            await invitations.welcome(
                db=db,
                settings=settings,
                institution_id=institution_id,
                user=user,
                role="staff",
                invited_by=actor.user_id,
            )
    return staff


async def _set_staff_groups(
    db: AsyncSession, staff: StaffMembership, group_ids: list[uuid.UUID]
) -> None:
    await db.execute(delete(StaffGroup).where(StaffGroup.staff_id == staff.id))
    for group_id in group_ids:
        db.add(
            StaffGroup(institution_id=staff.institution_id, staff_id=staff.id, group_id=group_id)
        )
    await db.flush()


async def _admin_staff(db: AsyncSession, actor: Actor, staff_id: uuid.UUID) -> StaffMembership:
    staff: StaffMembership = await get_row(db, StaffMembership, staff_id, "staffId")
    require_admin(actor, staff.institution_id, field="staffId")
    return staff


async def update_staff(
    *,
    db: AsyncSession,
    actor: Actor,
    staff_id: uuid.UUID,
    title: str | None = None,
    group_ids: list[uuid.UUID] | None = None,
) -> StaffMembership:
    """Change a staff member's title or groups."""
    async with write_transaction(db):
        staff = await _admin_staff(db, actor, staff_id)
        if title is not None:
            staff.title = title.strip()[:100]
        if group_ids is not None:
            await _set_staff_groups(
                db, staff, await _groups_in(db, staff.institution_id, group_ids)
            )
    return staff


async def deactivate_staff(
    *, db: AsyncSession, actor: Actor, staff_id: uuid.UUID
) -> StaffMembership:
    """End an employment: the person loses access to the institution at their next request."""
    async with write_transaction(db):
        staff = await _admin_staff(db, actor, staff_id)
        staff.is_active = False
        await db.execute(delete(StaffGroup).where(StaffGroup.staff_id == staff.id))
    return staff


# --- administration: guardians ---------------------------------------------------------


def _access_for(has_custody: bool, access: str | None) -> str:
    # Without custody the law gives a right to information, not to the system: none by default.
    chosen = access or ("full" if has_custody else "none")
    if chosen not in ACCESS_LEVELS:
        raise ValidationFailed("invalid_access", field="access")
    return chosen


async def add_guardian(
    *,
    db: AsyncSession,
    settings: Settings,
    actor: Actor,
    child_id: uuid.UUID,
    email: str,
    name: str,
    relation: str = "",
    has_custody: bool = True,
    access: str | None = None,
    phone: str | None = None,
    tell: bool = True,
) -> GuardianLink:
    """Link a person (found or created by email) to a child as guardian; `tell` as in
    `add_staff`."""
    async with write_transaction(db):
        child = await admin_child(db, actor, child_id)
        user = await _user_for(
            db, settings, email=email, name=clean_name(name, "name", 200), phone=phone
        )
        exists = await db.scalar(
            select(GuardianLink.id).where(
                GuardianLink.child_id == child.id, GuardianLink.user_id == user.id
            )
        )
        if exists is not None:
            raise Conflict("already_member", field="email")
        link = GuardianLink(
            institution_id=child.institution_id,
            child_id=child.id,
            user_id=user.id,
            relation=relation.strip()[:50],
            has_custody=has_custody,
            access=_access_for(has_custody, access),
        )
        db.add(link)
        await db.flush()
        if tell:
            await invitations.welcome(
                db=db,
                settings=settings,
                institution_id=child.institution_id,
                user=user,
                role="guardian",
                invited_by=actor.user_id,
            )
    return link


async def _admin_link(db: AsyncSession, actor: Actor, link_id: uuid.UUID) -> GuardianLink:
    link: GuardianLink = await get_row(db, GuardianLink, link_id, "guardianLinkId")
    require_admin(actor, link.institution_id, field="guardianLinkId")
    return link


async def update_guardian_link(
    *,
    db: AsyncSession,
    actor: Actor,
    link_id: uuid.UUID,
    relation: str | None = None,
    has_custody: bool | None = None,
    access: str | None = None,
) -> GuardianLink:
    """Change custody, access or relation of a guardian link."""
    async with write_transaction(db):
        link = await _admin_link(db, actor, link_id)
        before = link.access
        if relation is not None:
            link.relation = relation.strip()[:50]
        if has_custody is not None:
            link.has_custody = has_custody
            if access is None and not has_custody:
                link.access = "none"
        if access is not None:
            link.access = _access_for(link.has_custody, access)
        if link.access != before:
            await guardian_reach_changed(db, link.institution_id, [link.child_id], link.user_id)
    return link


async def remove_guardian_link(
    *, db: AsyncSession, actor: Actor, link_id: uuid.UUID
) -> GuardianLink:
    """Unlink a guardian from a child."""
    async with write_transaction(db):
        link = await _admin_link(db, actor, link_id)
        await db.delete(link)
        await guardian_reach_changed(db, link.institution_id, [link.child_id], link.user_id)
    return link


async def unlock_login(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID, email: str
) -> None:
    """An admin lifts the login lock of a member of their institution."""
    require_admin(actor, institution_id, field="institutionId")
    user = await accounts.find_user_by_email(db=db, email=email)
    if user is None or not await _is_member(db, institution_id, user.id):
        raise NotFound(field="email")
    await accounts.unlock_login(db=db, email=email)


async def _is_member(db: AsyncSession, institution_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    for model in (StaffMembership, GuardianLink, AdminMembership):
        found = await db.scalar(
            select(model.id).where(model.institution_id == institution_id, model.user_id == user_id)
        )
        if found is not None:
            return True
    return False
