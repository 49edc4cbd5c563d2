"""Who asks: `sign_in` turns a bearer token into the Actor and scopes the session to exactly
its tenants (app.root.context, the REST controllers and the live re-checks call it);
`load_actor` reads every role of a user in two statements."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Boolean, String, Uuid, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuthSession, Device, User
from app.accounts.service import auth as accounts
from app.core.actor import Actor, ChildAccess, DeviceAccess
from app.db import rescope, scope_to
from app.institutions.models import (
    AdminMembership,
    Child,
    GuardianLink,
    Institution,
    MunicipalityAdmin,
    StaffGroup,
    StaffMembership,
)


async def sign_in(*, db: AsyncSession, token: str) -> Actor | None:
    """The actor behind a bearer token (None: unknown, revoked or expired), with the session
    scoped to exactly the actor's tenants from here on: the one place a request's tenant
    scope is set."""
    found = await accounts.authenticate(db=db, token=token)
    if found is None:
        return None
    session, user = found
    actor = await load_actor(db=db, user=user, session=session)
    await scope_to(db, actor)
    return actor


async def load_actor(*, db: AsyncSession, user: User, session: AuthSession | None) -> Actor:
    """Everything the rules need to know about who asks: two queries, whatever the family.
    Reading them scopes the session to the user's own membership rows, then to the tenants
    those name (for the groups and children); the caller scopes to the Actor (`sign_in`)."""
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
    device = None
    if session is not None and session.device_id is not None:
        device = await _device(db, session)
        if device is None:
            return _nobody(user, session)
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
