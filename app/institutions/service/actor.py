"""Who asks: `sign_in` turns a bearer token into the Actor and scopes the transaction to
exactly its tenants (app.root.context, the REST controllers and the live re-checks call it).

On PostgreSQL that is one statement, `seddel_sign_in` (migration 0076): it checks the
session, notes its last use when due, reads every membership and sets the tenant scope.
Elsewhere (SQLite) the same facts are read by the statements below. Both paths hand the same
`SignInFacts` to `actor_of`, the one place an Actor is built."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    String,
    Uuid,
    cast,
    column,
    literal,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuthSession, Device, User
from app.accounts.service import auth as accounts
from app.core.actor import ENROLMENT_SESSION, Actor, ChildAccess, DeviceAccess
from app.db import TENANT_IDS, keep_on_end, rescope, scope, scope_to, utcnow
from app.institutions.models import (
    AdminMembership,
    Child,
    GuardianLink,
    Institution,
    MunicipalityAdmin,
    StaffGroup,
    StaffMembership,
)


@dataclass(frozen=True)
class Membership:
    """One role of a user: kind admin | staff | guardian | municipality."""

    kind: str
    institution_id: uuid.UUID | None
    ref_id: uuid.UUID | None  # staff membership, child or municipality
    custody: bool | None = None
    access: str | None = None


@dataclass(frozen=True)
class Detail:
    """What a membership reaches: kind group (staffed) | child (with its group) | institution."""

    kind: str
    id: uuid.UUID
    group_id: uuid.UUID | None = None


@dataclass(frozen=True)
class SignInFacts:
    """Everything an Actor is built from, as read by either path."""

    user_id: uuid.UUID
    name: str
    email: str
    language: str
    phone: str | None
    session_id: uuid.UUID | None
    session_kind: str
    session_device_id: uuid.UUID | None
    memberships: Sequence[Membership] = ()
    details: Sequence[Detail] = ()
    device: DeviceAccess | None = None
    # The tenants the transaction is scoped to now (None: not scoped by the read).
    tenants: frozenset[uuid.UUID] | None = None
    touched: bool = False


# The function's columns (migration 0076) named: SQLAlchemy then keeps the result's metadata
# with the compiled statement instead of building it from the cursor's description (22
# columns) on every request. Untyped, as `SELECT *` was: the driver's values as they come.
_SIGN_IN_COLUMNS = (
    "user_id", "user_name", "email", "phone", "language",
    "session_id", "session_kind", "session_device_id", "touched",
    "membership_kinds", "membership_institution_ids", "membership_ref_ids",
    "membership_custody", "membership_access",
    "detail_kinds", "detail_ids", "detail_group_ids",
    "device_found", "device_id", "device_institution_id", "device_role",
    "tenants",
)  # fmt: skip
SIGN_IN = text(
    f"SELECT {', '.join(_SIGN_IN_COLUMNS)} FROM seddel_sign_in(:token_hash, :now, :touch_after)"
).columns(*(column(name) for name in _SIGN_IN_COLUMNS))


async def sign_in(*, db: AsyncSession, token: str) -> Actor | None:
    """The actor behind a bearer token (None: unknown, revoked, idle or expired), with the
    transaction scoped to exactly the actor's tenants, and every later transaction of the
    session too: the one place a request's tenant scope is set. A read request ends in
    ROLLBACK unless the session's last use was noted (app.db.end_request)."""
    if not token or len(token) > 200:
        await _forget_scope(db)
        return None
    if db.get_bind().dialect.name == "postgresql":
        facts = await _facts_in_one_statement(db, token)
    else:
        facts = await _facts_by_statements(db, token)
    if facts is None:
        await _forget_scope(db)
        return None
    if facts.touched:
        keep_on_end(db)
    actor = actor_of(facts)
    if facts.tenants is not None:
        # What the statement set already: no statement when it is the actor's own scope.
        scope(db, institution_ids=facts.tenants, user_id=facts.user_id)
    await scope_to(db, actor)
    return actor


async def _forget_scope(db: AsyncSession) -> None:
    """A websocket's next operation with a token that stopped working keeps no scope."""
    if TENANT_IDS in db.info:
        await rescope(db, institution_ids=(), user_id=None)


async def _facts_in_one_statement(db: AsyncSession, token: str) -> SignInFacts | None:
    row = (
        await db.execute(
            SIGN_IN,
            {
                "token_hash": accounts.hash_token(token),
                "now": utcnow(),
                "touch_after": accounts.LAST_USED_RESOLUTION,
            },
        )
    ).first()
    if row is None:
        return None
    memberships = [
        Membership(kind, institution_id, ref_id, custody, access)
        for kind, institution_id, ref_id, custody, access in zip(
            row.membership_kinds,
            row.membership_institution_ids,
            row.membership_ref_ids,
            row.membership_custody,
            row.membership_access,
            strict=True,
        )
    ]
    details = [
        Detail(kind, id_, group_id)
        for kind, id_, group_id in zip(
            row.detail_kinds, row.detail_ids, row.detail_group_ids, strict=True
        )
    ]
    device = None
    if row.device_found:
        device = DeviceAccess(
            device_id=row.device_id,
            institution_id=row.device_institution_id,
            role=row.device_role,
        )
    return SignInFacts(
        user_id=row.user_id,
        name=row.user_name,
        email=row.email,
        language=row.language,
        phone=row.phone,
        session_id=row.session_id,
        session_kind=row.session_kind,
        session_device_id=row.session_device_id,
        memberships=memberships,
        details=details,
        device=device,
        tenants=frozenset(row.tenants),
        touched=row.touched,
    )


async def _facts_by_statements(db: AsyncSession, token: str) -> SignInFacts | None:
    found = await accounts.authenticate(db=db, token=token)
    if found is None:
        return None
    session, user = found
    return await _facts_of_user(db, user, session)


async def load_actor(*, db: AsyncSession, user: User, session: AuthSession | None) -> Actor:
    """Everything the rules need to know about a user (the demo seeding's admin, a job):
    the same statements as a sign-in without a token. The caller scopes to the Actor."""
    return actor_of(await _facts_of_user(db, user, session))


async def _facts_of_user(db: AsyncSession, user: User, session: AuthSession | None) -> SignInFacts:
    """Reading them scopes the session to the user's own membership rows, then to the
    tenants those name (for the groups and children)."""
    await rescope(db, institution_ids=(), user_id=user.id)  # own membership rows only
    memberships = [
        Membership(row.kind, row.institution_id, row.ref_id, row.custody, row.access)
        for row in (await db.execute(_memberships([user.id]))).all()
    ]
    tenants = {m.institution_id for m in memberships if m.institution_id is not None}
    await rescope(db, institution_ids=tenants, user_id=user.id)
    statement = _details(
        staff_ids=[m.ref_id for m in memberships if m.kind == "staff" and m.ref_id],
        child_ids=[m.ref_id for m in memberships if m.kind == "guardian" and m.ref_id],
        municipality_ids={m.ref_id for m in memberships if m.kind == "municipality" and m.ref_id},
    )
    rows = (await db.execute(statement)).all() if statement is not None else []
    device_id = session.device_id if session is not None else None
    return SignInFacts(
        user_id=user.id,
        name=user.name,
        email=user.email,
        language=user.preferred_language,
        phone=user.phone,
        session_id=session.id if session else None,
        session_kind=session.kind if session else "user",
        session_device_id=device_id,
        memberships=memberships,
        details=[Detail(row.kind, row.id, row.group_id) for row in rows],
        device=await _device(db, device_id) if device_id is not None else None,
        tenants=frozenset(tenants),
    )


async def actors_of_users(
    db: AsyncSession, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Actor]:
    """The Actors of many users without a session, as `load_actor` builds one, in three
    statements whatever their number (a system job in a session that reaches every tenant:
    the badge counts of a worker's round). Inactive or unknown users are left out."""
    if not user_ids:
        return {}
    users = (
        await db.execute(
            select(User.id, User.name, User.email, User.preferred_language, User.phone).where(
                User.id.in_(user_ids), User.is_active.is_(True)
            )
        )
    ).all()
    if not users:
        return {}
    memberships: dict[uuid.UUID, list[Membership]] = {u.id: [] for u in users}
    for row in (await db.execute(_memberships(list(memberships)))).all():
        memberships[row.user_id].append(
            Membership(row.kind, row.institution_id, row.ref_id, row.custody, row.access)
        )
    every = [m for ms in memberships.values() for m in ms]
    statement = _details(
        staff_ids={m.ref_id for m in every if m.kind == "staff" and m.ref_id},
        child_ids={m.ref_id for m in every if m.kind == "guardian" and m.ref_id},
        municipality_ids={m.ref_id for m in every if m.kind == "municipality" and m.ref_id},
    )
    details: dict[uuid.UUID, list[Detail]] = {}
    for row in (await db.execute(statement)).all() if statement is not None else []:
        details.setdefault(row.owner, []).append(Detail(row.kind, row.id, row.group_id))
    return {
        user.id: actor_of(
            SignInFacts(
                user_id=user.id,
                name=user.name,
                email=user.email,
                language=user.preferred_language,
                phone=user.phone,
                session_id=None,
                session_kind="user",
                session_device_id=None,
                memberships=memberships[user.id],
                details=[
                    d for m in memberships[user.id] if m.ref_id for d in details.get(m.ref_id, [])
                ],
            )
        )
        for user in users
    }


def actor_of(facts: SignInFacts) -> Actor:
    """The Actor from what either path read: the one place it is built."""
    who: dict[str, Any] = {
        "user_id": facts.user_id,
        "name": facts.name,
        "email": facts.email,
        "language": facts.language,
        "phone": facts.phone,
        "session_id": facts.session_id,
        "session_kind": facts.session_kind,
    }
    if facts.session_device_id is not None and facts.device is None:
        # The device this session belongs to was unpaired: the session reaches nothing.
        return Actor(**who)
    if facts.session_kind == ENROLMENT_SESSION:
        # A session that may only enrol a second factor (app.accounts.service.step_up):
        # no membership, so no tenant either.
        return Actor(**who)
    memberships = facts.memberships
    links = [
        (m.ref_id, m.institution_id, m)
        for m in memberships
        if m.kind == "guardian" and m.ref_id is not None and m.institution_id is not None
    ]
    child_groups = {d.id: d.group_id for d in facts.details if d.kind == "child"}
    return Actor(
        **who,
        admin_of=frozenset(
            m.institution_id for m in memberships if m.kind == "admin" and m.institution_id
        ),
        staff_of=frozenset(
            m.institution_id for m in memberships if m.kind == "staff" and m.institution_id
        ),
        groups_staffed=frozenset(d.id for d in facts.details if d.kind == "group"),
        municipality_admin_of=frozenset(
            m.ref_id for m in memberships if m.kind == "municipality" and m.ref_id
        ),
        municipality_institutions=frozenset(d.id for d in facts.details if d.kind == "institution"),
        children={
            child_id: ChildAccess(
                child_id=child_id,
                institution_id=institution_id,
                group_id=child_groups.get(child_id),
                has_custody=bool(link.custody),
                access=link.access or "full",
            )
            for child_id, institution_id, link in links
        },
        device=facts.device,
    )


async def _device(db: AsyncSession, device_id: uuid.UUID) -> DeviceAccess | None:
    """The live device a session belongs to (its own row is visible to the device's user)."""
    row = (
        await db.execute(
            select(Device.id, Device.institution_id, Device.role).where(
                Device.id == device_id, Device.revoked_at.is_(None)
            )
        )
    ).first()
    if row is None:
        return None
    return DeviceAccess(device_id=row.id, institution_id=row.institution_id, role=row.role)


def _typed_null(type_: Any) -> Any:
    return cast(null(), type_)


def _memberships(user_ids: Collection[uuid.UUID]) -> Any:
    """Every role of the users in one statement:
    (user_id, kind, institution_id, ref_id, custody, access)."""
    return union_all(
        select(
            AdminMembership.user_id.label("user_id"),
            literal("admin").label("kind"),
            AdminMembership.institution_id.label("institution_id"),
            _typed_null(Uuid).label("ref_id"),
            _typed_null(Boolean).label("custody"),
            _typed_null(String).label("access"),
        ).where(AdminMembership.user_id.in_(user_ids), AdminMembership.is_active.is_(True)),
        select(
            StaffMembership.user_id,
            literal("staff"),
            StaffMembership.institution_id,
            StaffMembership.id,
            _typed_null(Boolean),
            _typed_null(String),
        ).where(StaffMembership.user_id.in_(user_ids), StaffMembership.is_active.is_(True)),
        select(
            GuardianLink.user_id,
            literal("guardian"),
            GuardianLink.institution_id,
            GuardianLink.child_id,
            GuardianLink.has_custody,
            GuardianLink.access,
        ).where(GuardianLink.user_id.in_(user_ids), GuardianLink.access != "none"),
        select(
            MunicipalityAdmin.user_id,
            literal("municipality"),
            _typed_null(Uuid),
            MunicipalityAdmin.municipality_id,
            _typed_null(Boolean),
            _typed_null(String),
        ).where(MunicipalityAdmin.user_id.in_(user_ids)),
    )


def _details(
    *,
    staff_ids: Collection[uuid.UUID],
    child_ids: Collection[uuid.UUID],
    municipality_ids: Collection[uuid.UUID],
) -> Any:
    """Groups staffed, children's groups and municipality institutions: (kind, id, group_id,
    owner), owner being the staff membership, child or municipality the row comes from."""
    parts = []
    if staff_ids:
        parts.append(
            select(
                literal("group").label("kind"),
                StaffGroup.group_id.label("id"),
                _typed_null(Uuid).label("group_id"),
                StaffGroup.staff_id.label("owner"),
            ).where(StaffGroup.staff_id.in_(staff_ids))
        )
    if child_ids:
        parts.append(
            select(
                literal("child").label("kind"),
                Child.id.label("id"),
                Child.group_id.label("group_id"),
                Child.id.label("owner"),
            ).where(Child.id.in_(child_ids))
        )
    if municipality_ids:
        parts.append(
            select(
                literal("institution").label("kind"),
                Institution.id.label("id"),
                _typed_null(Uuid).label("group_id"),
                Institution.municipality_id.label("owner"),
            ).where(Institution.municipality_id.in_(municipality_ids))
        )
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union_all(*parts)
