"""Use cases of one's own profile: name, phone and language; a new e-mail address, confirmed
by a single-use link mailed to it (the old address is told once it is done)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.events import AccountMailRequested
from app.accounts.models import AccountToken, User
from app.accounts.service.auth import email_key, validate_email, verify_password
from app.accounts.service.phones import e164
from app.accounts.service.recovery import redeem
from app.config import Settings
from app.core import events
from app.core.actor import Actor
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.values import check_text, clean_name
from app.db import new_id, utcnow, write_transaction

log = logging.getLogger("seddel.auth")

# The same rule as a pickup person's number: digits, spaces, +, parentheses and dashes.
LANGUAGES = ("da", "en")


async def _own_user(db: AsyncSession, actor: Actor) -> User:
    user = await db.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise NotFound()
    return user


async def update_my_profile(
    *,
    db: AsyncSession,
    actor: Actor,
    name: str | None = None,
    phone: str | None = None,
    preferred_language: str | None = None,
) -> User:
    """Change what is given; an empty phone removes the number."""
    cleaned_name = None if name is None else clean_name(check_text(name, "name"), "name", 200)
    # The one phone rule (E.164); "" removes the number.
    number = None if phone is None else (e164(check_text(phone, "phone")) or "")
    if preferred_language is not None and preferred_language not in LANGUAGES:
        raise ValidationFailed("invalid_language", field="preferredLanguage")
    async with write_transaction(db):
        user = await _own_user(db, actor)
        if cleaned_name is not None:
            user.name = cleaned_name
        if number is not None:
            user.phone = number or None
        if preferred_language is not None:
            user.preferred_language = preferred_language
    return user


async def change_email(
    *, db: AsyncSession, settings: Settings, actor: Actor, new_email: str, current_password: str
) -> None:
    """Mail a single-use confirmation link to the new address; the address changes only when
    it is opened. Asks for the current password: a borrowed, unlocked phone must not move
    the account (and its password resets) to someone else's mailbox. Whether another account
    has the address is not told here (the owner of that address learns it on confirming)."""
    cleaned = validate_email(new_email)
    async with write_transaction(db):
        user = await _own_user(db, actor)
        if email_key(cleaned) == user.email_key:
            raise ValidationFailed("email_unchanged", field="newEmail")
        if not await verify_password(settings, user.password_hash, current_password):
            raise ValidationFailed("wrong_password", field="currentPassword")
        now = utcnow()
        # Only the newest request's link works.
        await db.execute(
            update(AccountToken)
            .where(
                AccountToken.user_id == user.id,
                AccountToken.purpose == "email_change",
                AccountToken.used_at.is_(None),
            )
            .values(used_at=now)
        )
        token_id = new_id()
        await db.execute(
            insert(AccountToken).values(
                id=token_id,
                user_id=user.id,
                purpose="email_change",
                new_email=cleaned,
                created_at=now,
                expires_at=now + timedelta(seconds=settings.email_change_ttl_seconds),
            )
        )
        await events.record(
            db,
            AccountMailRequested(
                kind="email_change", user_id=user.id, token_id=token_id, to_address=cleaned
            ),
        )


async def confirm_email_change(*, db: AsyncSession, token: str) -> User:
    """The link's new address becomes the account's; the old address is told. No session
    needed: the link is the proof, and it may be opened on any device."""
    now = utcnow()
    async with write_transaction(db):
        found, user = await redeem(db, token=token, purpose="email_change", now=now)
        assert found.new_email is not None  # every email_change token names one
        wanted = email_key(found.new_email)
        taken = await db.scalar(select(User.id).where(User.email_key == wanted, User.id != user.id))
        if taken is not None:
            raise Conflict("email_taken", field="token")
        old_address = user.email
        user.email = found.new_email
        user.email_key = wanted
        await events.record(
            db,
            AccountMailRequested(kind="email_changed", user_id=user.id, to_address=old_address),
        )
    log.info("e-mail address changed", extra={"user_id": str(user.id)})
    return user
