"""Institutions from nothing: the operator's bootstrap (`seddel bootstrap`), municipality
admins who open and close their municipality's institutions, and inviting an institution's
admins. Every admin added gets an invitation, or a note when they have a password already
(app.accounts.service.invitations.welcome)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Invitation, User
from app.accounts.service import auth as accounts
from app.accounts.service import invitations
from app.config import Settings
from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.system_scope import institution_ids
from app.core.values import clean_name
from app.db import TENANT_IDS, TENANT_USER, rescope, utcnow, write_transaction
from app.institutions.models import AdminMembership, Institution, Municipality
from app.institutions.service.institution_admin import create_institution

# --- municipality administration ---------------------------------------------------------


def _require_municipality_admin(actor: Actor, municipality_id: uuid.UUID, field: str) -> None:
    if municipality_id not in actor.municipality_admin_of:
        raise NotFound(field=field)


def may_appoint_admins(actor: Actor, institution_id: uuid.UUID) -> bool:
    """Its admins and the admins of its municipality."""
    return actor.is_admin(institution_id) or institution_id in actor.municipality_institutions


async def open_institution(
    *,
    db: AsyncSession,
    actor: Actor,
    municipality_id: uuid.UUID,
    name: str,
    kind: str = "",
) -> Institution:
    """A municipality admin opens a new institution of their municipality."""
    _require_municipality_admin(actor, municipality_id, "municipalityId")
    cleaned = clean_name(name, "name", 200)
    clash = await db.scalar(
        select(Institution.id).where(
            Institution.municipality_id == municipality_id, Institution.name == cleaned
        )
    )
    if clash is not None:
        raise Conflict("duplicate_name", field="name")
    return await create_institution(
        db=db, municipality_id=municipality_id, name=cleaned, kind=kind.strip()[:100]
    )


async def close_institution(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID
) -> Institution:
    """A municipality admin closes an institution of their municipality: it stays (its
    records are kept as the law says), but its open invitations are withdrawn and no admin
    can be invited any more."""
    async with write_transaction(db):
        institution = await db.get(Institution, institution_id)
        if institution is None:
            raise NotFound(field="institutionId")
        _require_municipality_admin(actor, institution.municipality_id, "institutionId")
        if not institution.is_active:
            raise Conflict("institution_closed", field="institutionId")
        institution.is_active = False
        await db.execute(
            update(Invitation)
            .where(
                Invitation.institution_id == institution_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
    return institution


async def invite_admin(
    *,
    db: AsyncSession,
    settings: Settings,
    actor: Actor,
    institution_id: uuid.UUID,
    email: str,
    name: str,
    language: str = "da",
) -> AdminMembership:
    """Make a person (found or created by e-mail) an admin of the institution and invite
    them: by its admins or its municipality's."""
    if not may_appoint_admins(actor, institution_id):
        raise NotFound(field="institutionId")
    async with write_transaction(db):
        membership = await _appoint_admin(
            db,
            settings,
            institution_id=institution_id,
            email=email,
            name=name,
            language=language,
            invited_by=actor.user_id,
        )
    return membership


async def _appoint_admin(
    db: AsyncSession,
    settings: Settings,
    *,
    institution_id: uuid.UUID,
    email: str,
    name: str,
    language: str,
    invited_by: uuid.UUID | None,
) -> AdminMembership:
    institution = await db.get(Institution, institution_id)
    if institution is None:
        raise NotFound(field="institutionId")
    if not institution.is_active:
        raise Conflict("institution_closed", field="institutionId")
    user = await accounts.find_user_by_email(db=db, email=email)
    if user is None:
        user = await accounts.create_user(
            db=db,
            settings=settings,
            name=clean_name(name, "name", 200),
            email=email,
            language=language,
        )
    membership = await db.scalar(
        select(AdminMembership).where(
            AdminMembership.institution_id == institution_id, AdminMembership.user_id == user.id
        )
    )
    if membership is not None and membership.is_active:
        raise Conflict("already_member", field="email")
    if membership is None:
        membership = AdminMembership(institution_id=institution_id, user_id=user.id)
        db.add(membership)
    membership.is_active = True
    await db.flush()
    await invitations.welcome(
        db=db,
        settings=settings,
        institution_id=institution_id,
        user=user,
        role="admin",
        invited_by=invited_by,
    )
    return membership


# --- the operator's bootstrap --------------------------------------------------------------


@dataclass
class BootstrapReport:
    """What `seddel bootstrap` did, line by line (nothing, when all was there already)."""

    done: list[str] = field(default_factory=list)
    institution_id: uuid.UUID | None = None
    admin_user_id: uuid.UUID | None = None


async def bootstrap(
    *,
    db: AsyncSession,
    settings: Settings,
    municipality: str,
    institution: str,
    admin_email: str,
    admin_name: str | None = None,
    language: str = "da",
) -> BootstrapReport:
    """From an empty database to an institution with an invited first admin. Idempotent:
    what exists (by name, by e-mail) is kept, and the report says so."""
    report = BootstrapReport()
    email = accounts.validate_email(admin_email)
    if language not in ("da", "en"):
        raise ValidationFailed("invalid_language", field="language")
    # The operator sees every institution (the system scope's one listing statement).
    await rescope(db, institution_ids=await institution_ids(db), user_id=None)
    async with write_transaction(db):
        municipality_name = clean_name(municipality, "municipality", 200)
        found = await db.scalar(select(Municipality).where(Municipality.name == municipality_name))
        if found is None:
            found = Municipality(name=municipality_name)
            db.add(found)
            await db.flush()
            report.done.append(f"created municipality {municipality_name!r}")
        else:
            report.done.append(f"municipality {municipality_name!r} exists")
    institution_name = clean_name(institution, "institution", 200)
    place = await db.scalar(
        select(Institution).where(
            Institution.municipality_id == found.id, Institution.name == institution_name
        )
    )
    if place is None:
        place = await create_institution(db=db, municipality_id=found.id, name=institution_name)
        report.done.append(f"created institution {institution_name!r} ({place.id})")
    else:
        report.done.append(f"institution {institution_name!r} exists ({place.id})")
    report.institution_id = place.id
    scope_ids = set(db.info.get(TENANT_IDS, frozenset())) | {place.id}
    await rescope(db, institution_ids=scope_ids, user_id=db.info.get(TENANT_USER))
    async with write_transaction(db):
        user = await accounts.find_user_by_email(db=db, email=email)
        already = None
        if user is not None:
            already = await db.scalar(
                select(AdminMembership).where(
                    AdminMembership.institution_id == place.id,
                    AdminMembership.user_id == user.id,
                    AdminMembership.is_active.is_(True),
                )
            )
        if user is not None and already is not None:
            report.admin_user_id = user.id
            invitation = await _open_invitation(db, place.id, user.id)
            if user.password_hash is None and (
                invitation is None or invitations.status_of(invitation) in ("expired", "revoked")
            ):
                await invitations.invite(
                    db=db,
                    settings=settings,
                    institution_id=place.id,
                    user_id=user.id,
                    role="admin",
                    invited_by=None,
                )
                report.done.append(f"{email} is admin already; invited again by e-mail")
            else:
                report.done.append(_admin_state(user, invitation))
            return report
        membership = await _appoint_admin(
            db,
            settings,
            institution_id=place.id,
            email=email,
            name=admin_name or email.split("@", 1)[0],
            language=language,
            invited_by=None,
        )
        report.admin_user_id = membership.user_id
        invited = (await db.get(User, membership.user_id)) if user is None else user
        assert invited is not None
        report.done.append(
            f"made {email} admin; "
            + ("told by e-mail (has a password)" if invited.password_hash else "invited by e-mail")
        )
    return report


async def _open_invitation(
    db: AsyncSession, institution_id: uuid.UUID, user_id: uuid.UUID
) -> Invitation | None:
    return await db.scalar(
        select(Invitation)
        .where(Invitation.institution_id == institution_id, Invitation.user_id == user_id)
        .order_by(Invitation.created_at.desc())
        .limit(1)
    )


def _admin_state(user: User, invitation: Invitation | None) -> str:
    if user.password_hash is not None:
        return f"{user.email} is admin already and has a password"
    if invitation is None:
        return f"{user.email} is admin already, not invited"
    status = invitations.status_of(invitation)
    return (
        f"{user.email} is admin already; invitation {status}"
        f" (until {invitation.expires_at:%Y-%m-%d %H:%M} UTC)"
    )


async def institution_of(*, db: AsyncSession, membership: AdminMembership) -> Institution:
    """The institution an admin was appointed to (for the answer of `inviteAdmin`)."""
    institution = await db.get(Institution, membership.institution_id)
    assert institution is not None
    return institution
