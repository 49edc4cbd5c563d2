"""The group's contact list: every guardian chooses per child whether their name, phone and
e-mail are shown to the other guardians of the child's group (nothing is, until they do) and
may withdraw at any time. A child with name and address protection is never listed, nor are
its guardians (not even for another child). Staff see the list the guardians chose."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.core.actor import Actor
from app.core.errors import NotFound
from app.db import utcnow, write_transaction
from app.institutions.contacts.models import ContactSharing
from app.institutions.contacts.policies import can_choose_sharing, readable_group_children
from app.institutions.models import Child, GuardianLink


@dataclass(frozen=True)
class SharingChoice:
    child_id: uuid.UUID
    show_name: bool
    show_phone: bool
    show_email: bool


@dataclass(frozen=True)
class GroupContact:
    """One guardian of one child, with only what they chose to show (None otherwise)."""

    child_id: uuid.UUID
    child_name: str
    name: str | None
    relation: str | None
    phone: str | None
    email: str | None


async def sharing_choice(
    *, db: AsyncSession, actor: Actor, child_id: uuid.UUID
) -> SharingChoice | None:
    """The actor's own choice for the child (all off when never made); None if not theirs."""
    if not can_choose_sharing(actor, child_id):
        return None
    row = await db.scalar(
        select(ContactSharing).where(
            ContactSharing.child_id == child_id, ContactSharing.user_id == actor.user_id
        )
    )
    if row is None:
        return SharingChoice(child_id, False, False, False)
    return SharingChoice(child_id, row.show_name, row.show_phone, row.show_email)


async def set_sharing(
    *,
    db: AsyncSession,
    actor: Actor,
    child_id: uuid.UUID,
    show_name: bool,
    show_phone: bool,
    show_email: bool,
) -> SharingChoice:
    """Choose what the group's other guardians see of the actor; all off withdraws."""
    access = actor.children.get(child_id)
    if access is None or not can_choose_sharing(actor, child_id):
        raise NotFound(field="childId")
    async with write_transaction(db):
        row = await db.scalar(
            select(ContactSharing).where(
                ContactSharing.child_id == child_id, ContactSharing.user_id == actor.user_id
            )
        )
        if row is None:
            row = ContactSharing(
                institution_id=access.institution_id, child_id=child_id, user_id=actor.user_id
            )
            db.add(row)
        row.show_name, row.show_phone, row.show_email = show_name, show_phone, show_email
        row.updated_at = utcnow()
    return SharingChoice(child_id, show_name, show_phone, show_email)


async def group_contacts(
    *, db: AsyncSession, actor: Actor, group_id: uuid.UUID
) -> list[GroupContact]:
    """The group's contact list in one statement, whatever the group's size; empty for
    anyone who is neither staff of the institution nor a guardian in the group."""
    protected_link, protected_child = aliased(GuardianLink), aliased(Child)
    guards_a_protected_child = exists(
        select(protected_link.id)
        .join(protected_child, protected_child.id == protected_link.child_id)
        .where(
            protected_link.user_id == ContactSharing.user_id,
            protected_link.institution_id == Child.institution_id,
            protected_child.is_protected.is_(True),
        )
    )
    rows = await db.execute(
        select(
            Child.id,
            Child.first_name,
            Child.last_name,
            ContactSharing.show_name,
            ContactSharing.show_phone,
            ContactSharing.show_email,
            GuardianLink.relation,
            User.name,
            User.phone,
            User.email,
        )
        .join(ContactSharing, ContactSharing.child_id == Child.id)
        .join(
            GuardianLink,
            and_(
                GuardianLink.child_id == ContactSharing.child_id,
                GuardianLink.user_id == ContactSharing.user_id,
            ),
        )
        .join(User, User.id == ContactSharing.user_id)
        .where(
            Child.group_id == group_id,
            readable_group_children(actor),
            Child.is_protected.is_(False),
            # A child who has left is no longer in the group's list.
            or_(Child.active_until.is_(None), Child.active_until >= utcnow().date()),
            GuardianLink.access != "none",
            or_(ContactSharing.show_name, ContactSharing.show_phone, ContactSharing.show_email),
            ~guards_a_protected_child,
        )
        .order_by(Child.first_name, Child.last_name, Child.id, User.name, User.id)
    )
    return [
        GroupContact(
            child_id=row.id,
            child_name=f"{row.first_name} {row.last_name}",
            name=row.name if row.show_name else None,
            relation=row.relation if row.show_name else None,
            phone=(row.phone or None) if row.show_phone else None,
            email=row.email if row.show_email else None,
        )
        for row in rows
    ]
