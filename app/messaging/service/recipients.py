"""Resolving "to whom": recipients are resolved once, when a thread starts, into participants.

Staff may address guardians (individually, of a child, of a group, of the institution), staff
(individually or a group's staff) and shared inboxes. Guardians may address the staff of
their children's groups, those groups' shared inboxes and the institution's inbox (its
admins); other guardians of the same group only where the institution allows it.

Guardians whose link has access "none" receive nothing about that child; "information only"
guardians receive nothing sensitive. Several children fan out into one thread per family:
each distinct set of guardians gets its own thread.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.institutions.models import (
    Child,
    Group,
    GuardianLink,
    StaffGroup,
    StaffMembership,
)
from app.institutions.service.settings import institution_settings


@dataclass(frozen=True)
class Recipients:
    """What the sender asked for, as UUIDs (GuardianLink, Child, Group, StaffMember ids)."""

    guardians: tuple[uuid.UUID, ...] = ()
    children: tuple[uuid.UUID, ...] = ()
    groups: tuple[uuid.UUID, ...] = ()
    all_guardians: bool = False
    staff: tuple[uuid.UUID, ...] = ()
    group_staff: tuple[uuid.UUID, ...] = ()
    group_inboxes: tuple[uuid.UUID, ...] = ()
    institution_inbox: bool = False

    def is_empty(self) -> bool:
        return not (
            self.guardians
            or self.children
            or self.groups
            or self.all_guardians
            or self.staff
            or self.group_staff
            or self.group_inboxes
            or self.institution_inbox
        )


@dataclass
class Family:
    """One thread's guardians and the children it is about."""

    guardians: frozenset[uuid.UUID]
    children: list[uuid.UUID] = field(default_factory=list)


@dataclass
class Resolved:
    staff_users: set[uuid.UUID] = field(default_factory=set)
    group_inboxes: set[uuid.UUID] = field(default_factory=set)
    institution_inbox: bool = False
    # A broadcast: one thread to many guardians, names hidden from guardians.
    broadcast_guardians: set[uuid.UUID] = field(default_factory=set)
    audience: str = ""
    families: list[Family] = field(default_factory=list)
    # Guardian to guardian (where allowed): one thread, no fan-out.
    peer_guardians: set[uuid.UUID] = field(default_factory=set)
    # Why each guardian was reached: guardian -> child -> group (None: the child itself,
    # wherever its group). Participation lasts while one of these still holds
    # (app.messaging.service.membership); guardians addressed as persons have none.
    bases: dict[uuid.UUID, dict[uuid.UUID, uuid.UUID | None]] = field(default_factory=dict)
    # The children addressed, as read to check them (a started thread's answer shows them).
    child_rows: dict[uuid.UUID, Child] = field(default_factory=dict)

    @property
    def is_broadcast(self) -> bool:
        return bool(self.audience)

    def add_basis(
        self, user_id: uuid.UUID, child_id: uuid.UUID, group_id: uuid.UUID | None
    ) -> None:
        """Reached through `child_id` (in `group_id`); the child itself outweighs its group."""
        reasons = self.bases.setdefault(user_id, {})
        if child_id not in reasons or group_id is None:
            reasons[child_id] = group_id


def _links_allowed(sensitive: bool) -> tuple[str, ...]:
    return ("full",) if sensitive else ("full", "information")


async def _check_all(
    db: AsyncSession, model: type, ids: tuple[uuid.UUID, ...], institution_id: uuid.UUID, name: str
) -> list[Any]:
    """Rows of `ids` in the institution; any unknown or foreign one is not found."""
    if not ids:
        return []
    rows: list[Any] = list(
        (
            await db.scalars(
                select(model).where(
                    model.id.in_(ids),  # type: ignore[attr-defined]
                    model.institution_id == institution_id,  # type: ignore[attr-defined]
                )
            )
        ).all()
    )
    if len(rows) != len(set(ids)):
        raise NotFound(field=f"recipients.{name}")
    return rows


async def _children_and_guardians(
    db: AsyncSession,
    ids: tuple[uuid.UUID, ...],
    institution_id: uuid.UUID,
    allowed: tuple[str, ...],
) -> dict[uuid.UUID, tuple[Child, set[uuid.UUID]]]:
    """The children named (in the order named), each with the guardians a message about it
    may reach, in one statement; an unknown or foreign child is not found."""
    if not ids:
        return {}
    rows = (
        await db.execute(
            select(Child, GuardianLink.user_id)
            .outerjoin(
                GuardianLink,
                and_(
                    GuardianLink.child_id == Child.id,
                    GuardianLink.institution_id == institution_id,
                    GuardianLink.access.in_(allowed),
                ),
            )
            .where(Child.id.in_(ids), Child.institution_id == institution_id)
        )
    ).all()
    found: dict[uuid.UUID, tuple[Child, set[uuid.UUID]]] = {}
    for child, user_id in rows:
        users = found.setdefault(child.id, (child, set()))[1]
        if user_id is not None:
            users.add(user_id)
    if len(found) != len(set(ids)):
        raise NotFound(field="recipients.children")
    return {child_id: found[child_id] for child_id in dict.fromkeys(ids)}


async def guardians_may_message_guardians(db: AsyncSession, institution_id: uuid.UUID) -> bool:
    return (await institution_settings(db, institution_id)).guardians_may_message_guardians


async def resolve(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    recipients: Recipients,
    sensitive: bool,
) -> Resolved:
    """Turn the request into people and inboxes; refuse anything unknown or not allowed."""
    if recipients.is_empty():
        raise ValidationFailed("recipients_required", field="recipients")
    if actor.works_in(institution_id):
        return await _resolve_for_staff(db, institution_id, recipients, sensitive)
    if institution_id in actor.guardian_institutions:
        return await _resolve_for_guardian(db, actor, institution_id, recipients)
    raise NotFound(field="institutionId")


async def _resolve_for_staff(
    db: AsyncSession, institution_id: uuid.UUID, r: Recipients, sensitive: bool
) -> Resolved:
    result = Resolved()
    allowed = _links_allowed(sensitive)
    named = await _children_and_guardians(db, r.children, institution_id, allowed)
    result.child_rows = {child.id: child for child, _ in named.values()}
    groups = await _check_all(
        db, Group, r.groups + r.group_staff + r.group_inboxes, institution_id, "groups"
    )
    links = await _check_all(db, GuardianLink, r.guardians, institution_id, "guardians")
    staff = await _check_all(db, StaffMembership, r.staff, institution_id, "staff")
    if any(not s.is_active for s in staff):
        raise NotFound(field="recipients.staff")
    if any(not g.is_active for g in groups):
        raise ValidationFailed("group_inactive", field="recipients.groups")
    for link in links:
        if link.access not in allowed:
            raise ValidationFailed("recipient_no_access", field="recipients.guardians")
    result.staff_users |= {s.user_id for s in staff}
    if r.group_staff:
        rows = await db.scalars(
            select(StaffMembership.user_id)
            .join(StaffGroup, StaffGroup.staff_id == StaffMembership.id)
            .where(
                StaffGroup.group_id.in_(r.group_staff),
                StaffMembership.institution_id == institution_id,
                StaffMembership.is_active.is_(True),
            )
        )
        result.staff_users |= set(rows.all())
    result.group_inboxes = set(r.group_inboxes)
    result.institution_inbox = r.institution_inbox

    if r.groups or r.all_guardians:
        statement = (
            select(GuardianLink.user_id, GuardianLink.child_id, Child.group_id)
            .join(Child, Child.id == GuardianLink.child_id)
            .where(
                GuardianLink.institution_id == institution_id,
                GuardianLink.access.in_(allowed),
                or_(Child.active_until.is_(None), Child.active_until >= date.today()),
            )
        )
        if not r.all_guardians:
            statement = statement.where(Child.group_id.in_(r.groups))
        for user_id, child_id, group_id in (await db.execute(statement)).all():
            result.add_basis(user_id, child_id, None if r.all_guardians else group_id)
        for child_id, (_, users) in named.items():
            for user_id in users:
                result.add_basis(user_id, child_id, None)
        for link in links:
            result.add_basis(link.user_id, link.child_id, None)
        result.broadcast_guardians = set(result.bases)
        if r.all_guardians:
            result.audience = "institution"
        else:
            names = sorted(g.name for g in groups if g.id in set(r.groups))
            result.audience = "groups:" + ", ".join(names)
        return result

    # About children: one thread per family (distinct set of guardians).
    per_child: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for child_id, (_, users) in named.items():
        if not users:
            raise ValidationFailed("child_without_guardians", field="recipients.children")
        per_child[child_id] |= users
    for link in links:
        per_child[link.child_id].add(link.user_id)
    families: dict[frozenset[uuid.UUID], Family] = {}
    for child_id, users in per_child.items():
        for user_id in users:
            result.add_basis(user_id, child_id, None)
        key = frozenset(users)
        families.setdefault(key, Family(guardians=key)).children.append(child_id)
    result.families = list(families.values())
    return result


async def _resolve_for_guardian(
    db: AsyncSession, actor: Actor, institution_id: uuid.UUID, r: Recipients
) -> Resolved:
    if r.children or r.groups or r.all_guardians:
        raise NotFound(field="recipients")
    mine = {
        c.group_id
        for c in actor.children.values()
        if c.institution_id == institution_id and c.group_id is not None
    }
    result = Resolved()
    for group_id in set(r.group_staff) | set(r.group_inboxes):
        if group_id not in mine:
            raise NotFound(field="recipients.groups")
    staff = await _check_all(db, StaffMembership, r.staff, institution_id, "staff")
    if staff:
        rows = await db.execute(
            select(StaffGroup.staff_id, StaffGroup.group_id).where(
                StaffGroup.staff_id.in_([s.id for s in staff])
            )
        )
        reachable = {staff_id for staff_id, group_id in rows.all() if group_id in mine}
        for s in staff:
            if s.id not in reachable or not s.is_active:
                raise NotFound(field="recipients.staff")
    result.staff_users |= {s.user_id for s in staff}
    if r.group_staff:
        users = await db.scalars(
            select(StaffMembership.user_id)
            .join(StaffGroup, StaffGroup.staff_id == StaffMembership.id)
            .where(StaffGroup.group_id.in_(r.group_staff), StaffMembership.is_active.is_(True))
        )
        result.staff_users |= set(users.all())
    result.group_inboxes = set(r.group_inboxes)
    result.institution_inbox = r.institution_inbox
    if r.guardians:
        if not await guardians_may_message_guardians(db, institution_id):
            raise ValidationFailed(
                "guardians_may_not_message_guardians", field="recipients.guardians"
            )
        links = await _check_all(db, GuardianLink, r.guardians, institution_id, "guardians")
        child_ids = [link.child_id for link in links]
        children = {
            c.id: c for c in (await db.scalars(select(Child).where(Child.id.in_(child_ids)))).all()
        }
        for link in links:
            child = children.get(link.child_id)
            if child is None or child.group_id not in mine or link.access == "none":
                raise NotFound(field="recipients.guardians")
        result.peer_guardians = {link.user_id for link in links} - {actor.user_id}
    return result
