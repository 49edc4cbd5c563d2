"""Personal mails: an invitation (with its single-use link) and "you were added to …".

Unlike the digests they go out at once, one mail each, under a Message-ID of their own. The
outbox row is written in the transaction that invites (an in-transaction handler of the
accounts slice's events); the invitation's token is minted only when the mail is composed
(`compose`), committed before it is handed to SMTP, so no token is ever stored, and a mail
sent again (a retry after a crash, or a resend) carries a new token that voids the previous.

The mail names the institution and whoever invited; never a child (not even a first name:
the invitee learns whom it is about in the app)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.events import (
    InvitationSent,
    InvitationsSent,
    MembershipGranted,
    MembershipsGranted,
)
from app.accounts.models import Invitation, User
from app.accounts.service.invitations import mint_token
from app.config import Settings
from app.core.events import on
from app.core.i18n import translate
from app.db import new_id, utcnow, write_transaction
from app.institutions.models import Institution
from app.notifications.service.outbox import write_many_rows, write_rows
from app.notifications.service.senders import DigestEmail

INVITATION = "invitation"
MEMBERSHIP_GRANTED = "membership_granted"
KINDS = frozenset({INVITATION, MEMBERSHIP_GRANTED})
ACCEPT_PATH = "/accept-invitation"


async def _who(db: AsyncSession, user_id: uuid.UUID | None) -> str:
    if user_id is None:
        return ""
    return await db.scalar(select(User.name).where(User.id == user_id)) or ""


async def _enqueue(
    db: AsyncSession,
    *,
    institution_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: str,
    subject_id: uuid.UUID,
    sender_name: str,
    key: str,
) -> None:
    await write_rows(db, [_row(institution_id, user_id, kind, subject_id, sender_name, key)])


def _row(
    institution_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: str,
    subject_id: uuid.UUID,
    sender_name: str,
    key: str,
) -> dict[str, object]:
    now = utcnow()
    return {
        "id": new_id(),
        "institution_id": institution_id,
        "user_id": user_id,
        "channel": "email",
        "kind": kind,
        "subject_id": subject_id,
        "sender_name": sender_name[:200],
        "link": ACCEPT_PATH if kind == INVITATION else "/",
        "preview": None,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "due_at": now,  # at once: no digest window
        "idempotency_key": key[:200],
    }


@on(InvitationSent)
async def invitation_mail_due(db: AsyncSession, sent: InvitationSent) -> None:
    invited_by = await db.scalar(
        select(Invitation.invited_by).where(Invitation.id == sent.invitation_id)
    )
    await _enqueue(
        db,
        institution_id=sent.institution_id,
        user_id=sent.user_id,
        kind=INVITATION,
        subject_id=sent.invitation_id,
        sender_name=await _who(db, invited_by),
        key=f"{INVITATION}:{sent.invitation_id}:{sent.sent_at_key}:email",
    )


@on(MembershipGranted)
async def membership_mail_due(db: AsyncSession, granted: MembershipGranted) -> None:
    await _enqueue(
        db,
        institution_id=granted.institution_id,
        user_id=granted.user_id,
        kind=MEMBERSHIP_GRANTED,
        subject_id=granted.grant_id,
        sender_name=await _who(db, granted.granted_by),
        key=f"{MEMBERSHIP_GRANTED}:{granted.grant_id}:email",
    )


@on(InvitationsSent)
async def invitation_mails_due(db: AsyncSession, sent: InvitationsSent) -> None:
    """One mail per invitation of a roster import, written in bulk."""
    sender = await _who(db, sent.invited_by)
    await write_many_rows(
        db,
        [
            _row(
                sent.institution_id,
                user_id,
                INVITATION,
                invitation_id,
                sender,
                f"{INVITATION}:{invitation_id}:{sent.sent_at_key}:email",
            )
            for invitation_id, user_id in sent.invitations
        ],
    )


@on(MembershipsGranted)
async def membership_mails_due(db: AsyncSession, granted: MembershipsGranted) -> None:
    sender = await _who(db, granted.granted_by)
    await write_many_rows(
        db,
        [
            _row(
                granted.institution_id,
                user_id,
                MEMBERSHIP_GRANTED,
                grant_id,
                sender,
                f"{MEMBERSHIP_GRANTED}:{grant_id}:email",
            )
            for user_id, grant_id in granted.grants
        ],
    )


def _role(role: str, language: str) -> str:
    return translate(f"invitation_role_{role}", language)


async def compose(
    db: AsyncSession,
    *,
    kind: str,
    subject_id: uuid.UUID,
    institution_id: uuid.UUID,
    sender_name: str,
    message_id: str,
    user: User,
    settings: Settings,
    now: datetime,
) -> DigestEmail | None:
    """The mail of one personal outbox row; None when there is nothing to send any more (the
    invitation was accepted or revoked meanwhile). Commits the minted token."""
    language = user.preferred_language
    institution = await db.scalar(select(Institution.name).where(Institution.id == institution_id))
    base = settings.public_url.rstrip("/")
    inviter = sender_name or translate("invitation_inviter_unknown", language)
    if kind == INVITATION:
        async with write_transaction(db):
            role = await db.scalar(select(Invitation.role).where(Invitation.id == subject_id))
            expires_at = await db.scalar(
                select(Invitation.expires_at).where(Invitation.id == subject_id)
            )
            token = await mint_token(db, subject_id)
        if token is None or role is None or expires_at is None:
            return None
        link = f"{base}{ACCEPT_PATH}?token={token}"
        subject = translate("invitation_subject", language, institution=institution)
        body = translate(
            "invitation_body",
            language,
            name=user.name,
            inviter=inviter,
            institution=institution,
            role=_role(role, language),
            link=link,
            expires=expires_at.date().isoformat(),
        )
    else:
        link = base + "/"
        subject = translate("membership_granted_subject", language, institution=institution)
        body = translate(
            "membership_granted_body",
            language,
            name=user.name,
            inviter=inviter,
            institution=institution,
            link=link,
        )
    return DigestEmail(
        idempotency_key=message_id,
        to_address=user.email,
        to_name=user.name,
        subject=subject,
        text=body + "\n\n" + translate("personal_email_footer", language) + "\n",
        items=(),
    )
