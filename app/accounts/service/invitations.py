"""Invitations: how a person without a password gets in.

An institution's admin (or the operator's bootstrap, or a municipality admin) adds a person;
`welcome` then either invites them (no password yet) or tells them they were added (they
have one). The invitation's mail is composed by the notifications slice, which mints the
token then (`mint_token`): the token exists only in that mail, the database keeps its SHA-256
in `invitation_tokens`, and every new send replaces the previous token. `accept` spends the
token once: it sets the password and signs in.

Every refusal of a token (unknown, expired, used, revoked, or its person has a password by
now) is one and the same error and changes nothing but the throttle of the client's address,
which counts it as a failed login would."""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.events import (
    InvitationSent,
    InvitationsSent,
    MembershipGranted,
    MembershipsGranted,
)
from app.accounts.models import Invitation, InvitationToken, User
from app.accounts.service import step_up
from app.accounts.service.auth import hash_password, validate_new_password
from app.accounts.service.sessions import LoginResult, hash_token, start_session
from app.accounts.service.throttling import check_not_locked, record_failure
from app.config import Settings
from app.core.actor import Actor
from app.core.errors import Conflict, InvalidCredentials, NotFound
from app.core.events import record
from app.core.values import clean_name
from app.db import TENANT_IDS, new_id, rescope, utcnow, write_transaction

log = logging.getLogger("seddel.invitations")

STATUSES = ("pending", "accepted", "expired", "revoked")
MAX_TOKEN_LENGTH = 200


def invitation_invalid() -> InvalidCredentials:
    """The one answer to every token that does not work: unknown, expired, used, revoked."""
    return InvalidCredentials("invitation_invalid", field="token")


def status_of(invitation: Invitation, now: datetime | None = None) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= (now or utcnow()):
        return "expired"
    return "pending"


@dataclass(frozen=True)
class InvitationView:
    """An invitation as its institution's admins see it: whom, as what, in which state."""

    invitation: Invitation
    name: str
    email: str
    status: str


# --- issuing (inside the caller's transaction) -------------------------------------------


async def welcome(
    *,
    db: AsyncSession,
    settings: Settings,
    institution_id: uuid.UUID,
    user: User,
    role: str,
    invited_by: uuid.UUID | None,
) -> Invitation | None:
    """A person was added to an institution as `role`: invite them when they have no
    password, otherwise tell them (no invitation). Call inside the transaction that adds
    them. Returns the invitation, if one was made."""
    if user.password_hash is not None:
        await record(
            db,
            MembershipGranted(
                institution_id=institution_id,
                user_id=user.id,
                role=role,
                granted_by=invited_by,
                grant_id=new_id(),
            ),
        )
        return None
    return await invite(
        db=db,
        settings=settings,
        institution_id=institution_id,
        user_id=user.id,
        role=role,
        invited_by=invited_by,
    )


WELCOME_CHUNK = 1000


async def welcome_many(
    *,
    db: AsyncSession,
    settings: Settings,
    institution_id: uuid.UUID,
    users: dict[uuid.UUID, bool],
    role: str,
    invited_by: uuid.UUID | None,
    created: Collection[uuid.UUID] = (),
) -> int:
    """`welcome` for many people at once (user id -> has a password), in statements bounded
    by chunks of WELCOME_CHUNK rather than a few per person; `created`: people made in this
    transaction, who cannot have an invitation yet. Returns the invitations sent."""
    now = utcnow()
    expires_at = now + timedelta(seconds=settings.invitation_lifetime_seconds)
    told = [user_id for user_id, known in users.items() if known]
    if told:
        await record(
            db,
            MembershipsGranted(
                institution_id=institution_id,
                role=role,
                granted_by=invited_by,
                grants=tuple((user_id, new_id()) for user_id in told),
            ),
        )
    invited = [user_id for user_id, known in users.items() if not known]
    new = set(created)
    invited.sort(key=lambda user_id: user_id in new)  # the others first, then the new
    sent: list[tuple[uuid.UUID, uuid.UUID]] = []
    for start in range(0, len(invited), WELCOME_CHUNK):
        chunk = invited[start : start + WELCOME_CHUNK]
        # One open invitation per person and institution: an open one is sent again.
        looked_up = [user_id for user_id in chunk if user_id not in new]
        open_ = (
            {}
            if not looked_up
            else dict(
                (
                    await db.execute(
                        select(Invitation.user_id, Invitation.id).where(
                            Invitation.institution_id == institution_id,
                            Invitation.user_id.in_(looked_up),
                            Invitation.accepted_at.is_(None),
                            Invitation.revoked_at.is_(None),
                        )
                    )
                )
                .tuples()
                .all()
            )
        )
        if open_:
            await db.execute(
                update(Invitation)
                .where(Invitation.id.in_(list(open_.values())))
                .values(expires_at=expires_at, last_sent_at=now)
            )
            await db.execute(
                delete(InvitationToken).where(
                    InvitationToken.invitation_id.in_(list(open_.values()))
                )
            )
        fresh: list[dict[str, Any]] = [
            {
                "id": new_id(),
                "institution_id": institution_id,
                "user_id": user_id,
                "role": role,
                "invited_by": invited_by,
                "created_at": now,
                "expires_at": expires_at,
                "last_sent_at": now,
            }
            for user_id in chunk
            if user_id not in open_
        ]
        if fresh:
            # One cached compilation, sent as multi-row INSERTs ("insertmanyvalues").
            table = cast(Table, Invitation.__table__)
            await db.execute(insert(table).returning(table.c.id), fresh)
        sent += [(invitation_id, user_id) for user_id, invitation_id in open_.items()]
        sent += [(row["id"], row["user_id"]) for row in fresh]
    if sent:
        await record(
            db,
            InvitationsSent(
                institution_id=institution_id,
                invited_by=invited_by,
                invitations=tuple(sent),
                sent_at_key=now.isoformat(),
            ),
        )
    return len(sent)


async def invite(
    *,
    db: AsyncSession,
    settings: Settings,
    institution_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    invited_by: uuid.UUID | None,
) -> Invitation:
    """An invitation of this person to this institution, sent now. One open invitation per
    person and institution: a pending or expired one is sent again rather than doubled."""
    now = utcnow()
    invitation = await db.scalar(
        select(Invitation)
        .where(
            Invitation.institution_id == institution_id,
            Invitation.user_id == user_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .order_by(Invitation.created_at.desc())
        .limit(1)
    )
    if invitation is None:
        invitation = Invitation(
            id=new_id(),
            institution_id=institution_id,
            user_id=user_id,
            role=role,
            invited_by=invited_by,
            created_at=now,
            expires_at=now,
        )
        db.add(invitation)
    await _send(db, settings, invitation, now)
    return invitation


async def _send(
    db: AsyncSession, settings: Settings, invitation: Invitation, now: datetime
) -> None:
    """(Re)start the invitation's validity and have its mail sent; earlier links stop working."""
    invitation.expires_at = now + timedelta(seconds=settings.invitation_lifetime_seconds)
    invitation.last_sent_at = now
    await db.flush()
    await db.execute(delete(InvitationToken).where(InvitationToken.invitation_id == invitation.id))
    await record(
        db,
        InvitationSent(
            invitation_id=invitation.id,
            institution_id=invitation.institution_id,
            user_id=invitation.user_id,
            sent_at_key=now.isoformat(),
        ),
    )


async def mint_token(db: AsyncSession, invitation_id: uuid.UUID) -> str | None:
    """A new single-use token for the invitation's mail, the previous one void; None when the
    invitation is no longer pending (nothing to send). Only the SHA-256 is stored. Call inside
    a transaction that commits before the mail leaves."""
    invitation = await db.get(Invitation, invitation_id)
    if invitation is None or status_of(invitation) != "pending":
        return None
    token = secrets.token_urlsafe(32)  # 256 bits of randomness
    await db.execute(delete(InvitationToken).where(InvitationToken.invitation_id == invitation_id))
    db.add(
        InvitationToken(
            token_hash=hash_token(token), invitation_id=invitation_id, user_id=invitation.user_id
        )
    )
    await db.flush()
    return token


# --- accepting (anonymous) ---------------------------------------------------------------


def throttle_key(client_address: str | None) -> str:
    return f"invitation-ip:{client_address or 'unknown'}"


async def accept(
    *,
    db: AsyncSession,
    settings: Settings,
    token: str,
    password: str,
    name: str | None,
    client_address: str | None,
    device_label: str | None = None,
    user_agent: str | None = None,
) -> LoginResult | step_up.Challenge:
    """Spend an invitation's token: set the person's password (and name, if given), mark
    their open invitations accepted, and sign in, as `login` does."""
    validate_new_password(password)
    cleaned_name = clean_name(name, "name", 200) if name is not None else None
    key = throttle_key(client_address)
    now = utcnow()
    async with write_transaction(db):
        rows = await check_not_locked(db, [key])
        found = await _spend(db, token_hash_of(token), now)
        if found is None:
            record_failure(db, rows, key, settings.login_max_failures_per_address, settings)
        else:
            user, _, invitations = found
            user.password_hash = await hash_password(settings, password)
            if cleaned_name is not None:
                user.name = cleaned_name
            await _mark_accepted(db, user, invitations, now)
            # As at login: an invited admin (or staff where the institution demands it)
            # without an authenticator gets a session that may only enrol one; a person who
            # has one (enrolled after a federated login) proves it first.
            started = await start_session(
                db,
                settings,
                user,
                label=device_label,
                address=client_address,
                user_agent=user_agent,
            )
    if found is None:
        log.warning("invitation refused", extra={"address": client_address})
        raise invitation_invalid()
    log.info("invitation accepted", extra={"user_id": str(user.id), "address": client_address})
    return started


async def _mark_accepted(
    db: AsyncSession, user: User, invitations: list[Invitation], now: datetime
) -> None:
    await db.execute(
        update(Invitation)
        .where(Invitation.id.in_([i.id for i in invitations]))
        .values(accepted_at=now)
    )
    await db.execute(delete(InvitationToken).where(InvitationToken.user_id == user.id))


def token_hash_of(token: str) -> str | None:
    """What invitation_tokens keeps of a token; None for one that cannot be a token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return hash_token(token)


async def pending(
    db: AsyncSession, token_hash: str | None, now: datetime
) -> tuple[User, Invitation] | None:
    """The person behind a working token (by its hash) and the token's invitation, changing
    nothing but the session's scope (to the invitee's institutions); None for any token that
    does not work. For a sign-in with an identity provider that is to accept it later."""
    found = await _spend(db, token_hash, now)
    return None if found is None else (found[0], found[1])


async def accept_signed_in(
    db: AsyncSession, token_hash: str | None, now: datetime
) -> tuple[User, Invitation] | None:
    """Spend a token (by its hash) for a person who signed in with an identity provider: their
    open invitations are accepted and their tokens void, as `accept` does, but no password is
    set (the provider's login is theirs). Call inside the caller's transaction, which links
    the identity and signs in; None, and nothing changed, for any token that does not work."""
    found = await _spend(db, token_hash, now)
    if found is None:
        return None
    user, this, invitations = found
    await _mark_accepted(db, user, invitations, now)
    return user, this


async def _spend(
    db: AsyncSession, wanted: str | None, now: datetime
) -> tuple[User, Invitation, list[Invitation]] | None:
    """The person behind a working token (by its hash), the token's invitation and all their
    open invitations, scoped so that they can be marked accepted; None for any token that
    does not work."""
    if not wanted:
        return None
    row = (
        await db.execute(
            select(InvitationToken, User)
            .join(User, User.id == InvitationToken.user_id)
            .where(InvitationToken.token_hash == wanted)
        )
    ).first()
    # The lookup is by the hash (a token's guesser learns nothing from its timing); the
    # comparison that decides is constant-time all the same.
    if row is None or not hmac.compare_digest(row[0].token_hash, wanted):
        return None
    stored, user = row
    if user.password_hash is not None or not user.is_active:
        return None
    # The invitee's own invitations are visible to them (row-level security: own rows) ...
    await rescope(db, institution_ids=db.info.get(TENANT_IDS, frozenset()), user_id=user.id)
    invitations = list(
        (
            await db.scalars(
                select(Invitation).where(
                    Invitation.user_id == user.id,
                    Invitation.accepted_at.is_(None),
                    Invitation.revoked_at.is_(None),
                )
            )
        ).all()
    )
    this = next((i for i in invitations if i.id == stored.invitation_id), None)
    if this is None or status_of(this, now) != "pending":
        return None
    # ... and writable within their institutions' scope.
    await rescope(db, institution_ids={i.institution_id for i in invitations}, user_id=user.id)
    return user, this, invitations


# --- kept by the institution's admins ----------------------------------------------------


async def _admins_invitation(
    db: AsyncSession, actor: Actor, invitation_id: uuid.UUID
) -> Invitation:
    invitation = await db.get(Invitation, invitation_id)
    if invitation is None or not _may_manage(actor, invitation.institution_id):
        raise NotFound(field="invitationId")
    return invitation


def _may_manage(actor: Actor, institution_id: uuid.UUID) -> bool:
    """The institution's admins, and the admins of its municipality."""
    return actor.is_admin(institution_id) or institution_id in actor.municipality_institutions


async def resend(
    *, db: AsyncSession, settings: Settings, actor: Actor, invitation_id: uuid.UUID
) -> InvitationView:
    """Send the invitation again with a new link and a new validity; the old link dies."""
    async with write_transaction(db):
        invitation = await _admins_invitation(db, actor, invitation_id)
        if invitation.accepted_at is not None or invitation.revoked_at is not None:
            raise Conflict("invitation_closed", field="invitationId")
        await _send(db, settings, invitation, utcnow())
        return await _view(db, invitation)


async def revoke(*, db: AsyncSession, actor: Actor, invitation_id: uuid.UUID) -> InvitationView:
    """Withdraw an invitation: its link stops working at once."""
    async with write_transaction(db):
        invitation = await _admins_invitation(db, actor, invitation_id)
        if invitation.accepted_at is not None:
            raise Conflict("invitation_closed", field="invitationId")
        if invitation.revoked_at is None:
            invitation.revoked_at = utcnow()
        await db.execute(
            delete(InvitationToken).where(InvitationToken.invitation_id == invitation.id)
        )
        return await _view(db, invitation)


async def _view(db: AsyncSession, invitation: Invitation) -> InvitationView:
    user = await db.get(User, invitation.user_id)
    assert user is not None
    return InvitationView(
        invitation=invitation, name=user.name, email=user.email, status=status_of(invitation)
    )


async def invitations_of(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID
) -> list[InvitationView]:
    """The institution's invitations, newest first, each with its person and state: for its
    admins (and its municipality's); anyone else sees none."""
    if not _may_manage(actor, institution_id):
        return []
    now = utcnow()
    rows = (
        await db.execute(
            select(Invitation, User.name, User.email)
            .join(User, User.id == Invitation.user_id)
            .where(Invitation.institution_id == institution_id)
            .order_by(Invitation.created_at.desc(), Invitation.id)
        )
    ).all()
    return [
        InvitationView(invitation=inv, name=name, email=email, status=status_of(inv, now))
        for inv, name, email in rows
    ]
